// The shop's live page: connects to the gateway's Socket.IO server as a customer, places orders
// with `emit("act", …)` and lists the events of that customer's orders as they arrive.
// The protocol is docs/realtime.md's.
"use strict";

const $ = (id) => document.getElementById(id);
let socket = null;

function setConnection(state, text) {
  $("connection").dataset.state = state;
  $("connection").textContent = text;
  $("place").disabled = state !== "connected";
}

function line(kind, text, order) {
  const li = document.createElement("li");
  li.dataset.event = kind;
  if (order) li.dataset.order = order;
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  $("events").prepend(li);
}

function describe(event) {
  const cents = (c) => (c / 100).toFixed(2);
  switch (event.event) {
    case "order_placed":
      return `order_placed: ${event.order}, total ${cents(event.total_cents)}`;
    case "order_shipped":
      return `order_shipped: ${event.order} is on its way`;
    default:
      return `${event.event}: ${JSON.stringify(event)}`;
  }
}

function connect() {
  if (socket) {
    socket.off();
    socket.disconnect();
  }
  const customer = $("customer").value.trim();
  setConnection("connecting", `connecting as ${customer}…`);
  socket = io({ auth: { customer } });
  socket.on("connect", () => {
    // Every event of this customer's orders; the authorizer allows no wider subscription.
    socket.emit("subscribe", `customer:${customer}`, (ack) => {
      if (ack && ack.error) {
        setConnection("refused", `subscription refused: ${ack.error.message}`);
      } else {
        setConnection("connected", `connected as ${customer}`);
      }
    });
  });
  socket.on("connect_error", (err) => setConnection("refused", `refused: ${err.message}`));
  socket.on("disconnect", (reason) => setConnection("disconnected", `disconnected: ${reason}`));
  socket.on("event", (event) => line(event.event, describe(event), event.order));
}

function place() {
  const msg = {
    role: "order",
    cmd: "place",
    customer: $("customer").value.trim(),
    card: $("card").value.trim(),
    items: [{ sku: $("sku").value.trim(), qty: Number($("qty").value), price_cents: Number($("price").value) }],
  };
  $("result").textContent = "placing…";
  socket.emit("act", msg, (reply) => {
    if (reply && reply.error) {
      $("result").dataset.outcome = "error";
      $("result").textContent = `${reply.error.code}: ${reply.error.message}`;
      line("payment", `payment refused: ${reply.error.message}`);
    } else {
      $("result").dataset.outcome = "ok";
      $("result").textContent = `order ${reply.id} placed`;
      line("payment", `payment ${reply.payment} accepted for ${reply.id}`, reply.id);
    }
  });
}

// `/?customer=grace` connects as grace.
const asked = new URLSearchParams(location.search).get("customer");
if (asked) $("customer").value = asked;

$("connect").addEventListener("click", connect);
$("place").addEventListener("click", place);
connect();
