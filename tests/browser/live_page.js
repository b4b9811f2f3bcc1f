// Opens the shop's live page in Debian's headless Chromium (driven by playwright-core), connects
// as a customer, places an order through the page and waits until the page shows that order's
// `order_shipped` event. Prints one JSON line: what the page listed, or {"error": …}.
//
//   node live_page.js <page url> <customer> <screenshot path>
"use strict";

const { chromium } = require("playwright-core");

const [url, customer, screenshot] = process.argv.slice(2);
const WAIT_MS = 30_000;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // As root and on a closed network: no sandbox, no background fetches of Google's hosts.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  const console_lines = [];
  page.on("console", (m) => console_lines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console_lines.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${url}?customer=${encodeURIComponent(customer)}`);
    await page.waitForSelector("#connection[data-state=connected]", { timeout: WAIT_MS });
    const connection = await page.textContent("#connection");
    if (connection !== `connected as ${customer}`) throw new Error(`the page says: ${connection}`);
    await page.click("#place");
    await page.waitForSelector("#result[data-outcome=ok]", { timeout: WAIT_MS });
    const order = (await page.textContent("#result")).split(" ")[1];
    await page.waitForSelector(`#events li[data-event=order_shipped][data-order="${order}"]`, {
      timeout: WAIT_MS,
    });
    const events = await page.$$eval("#events li", (lis) =>
      lis.map((li) => ({ event: li.dataset.event, order: li.dataset.order || null, text: li.textContent })),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify({ order, events, console: console_lines }));
  } catch (err) {
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
    const body = await page.textContent("body").catch(() => null);
    console.log(JSON.stringify({ error: String(err.message || err), body, console: console_lines }));
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.log(JSON.stringify({ error: String(err.stack || err) }));
  process.exit(1);
});
