// Parses an AsyncAPI document with the official parser and prints its diagnostics as JSON:
// [{severity: "error"|"warning"|"info"|"hint", code, message, path}]. Usage: node validate.js doc.json (tests: examples/shop/shop/tests/asyncapi.rs)
const fs = require('fs');
const { Parser } = require('@asyncapi/parser');

const severities = ['error', 'warning', 'info', 'hint'];

async function main() {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const { diagnostics } = await new Parser().parse(text);
  const out = diagnostics.map((d) => ({
    severity: severities[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join('/'),
  }));
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(2); });
