// Socket.IO clients driven by the Porticus tests: one command per stdin line (JSON), one
// report per stdout line (JSON). Uses the real `socket.io-client` over WebSocket.
//
// Commands (`id` names a client):
//   {"op":"connect","id":"a","url":"http://127.0.0.1:1234","path":"/socket.io","auth":{...},
//    "transports":["polling"]}   (default: WebSocket only)
//       → {"id":"a","type":"connect"} or {"id":"a","type":"connect_error","message":"…"}
//   {"op":"emit","id":"a","event":"act","args":[msg],"tag":"t1"}
//       → {"id":"a","type":"ack","tag":"t1","reply":…} (no "tag": emitted without an ack)
//   {"op":"raw","id":"a","data":"2[oops"}       an Engine.IO message written as it is
//   {"op":"pause","id":"a"}                     stop reading the socket (a client that never reads)
//   {"op":"mute","id":"m","url":…}              a bare Engine.IO WebSocket that joins the default
//       namespace and never answers a ping → {"id":"m","type":"connect"}, then
//       {"id":"m","type":"disconnect","reason":"closed by the server"}
//   {"op":"stall","id":"s","url":…,"subscribe":"role:feed"}  a bare Engine.IO WebSocket that joins,
//       subscribes, then stops reading for good (no timers of its own, unlike socket.io-client)
//       → {"id":"s","type":"stalled"}; {"id":"s","type":"disconnect",…} once the server cut it
//   {"op":"close","id":"a"}
//   {"op":"swarm","prefix":"s","count":1000,"url":…,"subscribe":"role:order"}
//       → {"type":"swarm_ready","prefix":"s","connected":n,"subscribed":n,"failed":[…]}
//   {"op":"swarm_wait","prefix":"s","events":1}
//       → {"type":"swarm_received","prefix":"s","sockets":n,"events":total} once every socket
//         holds that many events (the test bounds the wait)
// Unprompted: {"id":"a","type":"event","data":…}, {"id":"a","type":"disconnect","reason":"…"}
"use strict";

const { io } = require("socket.io-client");
const readline = require("readline");

const clients = new Map();
const swarms = new Map();

function report(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function open(url, path, auth, transports) {
  return io(url, {
    path: path || "/socket.io",
    auth: auth || {},
    transports: transports || ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: 20000,
  });
}

function connect(cmd) {
  const socket = open(cmd.url, cmd.path, cmd.auth, cmd.transports);
  clients.set(cmd.id, socket);
  socket.on("connect", () => report({ id: cmd.id, type: "connect" }));
  socket.on("connect_error", (err) =>
    report({ id: cmd.id, type: "connect_error", message: err.message })
  );
  socket.on("event", (data) => report({ id: cmd.id, type: "event", data }));
  socket.on("disconnect", (reason) => report({ id: cmd.id, type: "disconnect", reason }));
}

function emit(cmd) {
  const socket = clients.get(cmd.id);
  const args = cmd.args || [];
  if (cmd.tag === undefined) {
    socket.emit(cmd.event, ...args);
    return;
  }
  socket.timeout(20000).emit(cmd.event, ...args, (err, reply) => {
    if (err) report({ id: cmd.id, type: "ack", tag: cmd.tag, timeout: true });
    else report({ id: cmd.id, type: "ack", tag: cmd.tag, reply });
  });
}

function swarm(cmd) {
  const members = [];
  const state = { members, connected: 0, subscribed: 0, failed: [], settled: 0 };
  swarms.set(cmd.prefix, state);
  const settle = () => {
    state.settled += 1;
    if (state.settled === cmd.count) {
      report({
        type: "swarm_ready",
        prefix: cmd.prefix,
        connected: state.connected,
        subscribed: state.subscribed,
        failed: state.failed.slice(0, 5),
      });
    }
  };
  for (let i = 0; i < cmd.count; i++) {
    const socket = open(cmd.url, cmd.path, cmd.auth);
    const member = { socket, events: 0 };
    members.push(member);
    socket.on("event", () => {
      member.events += 1;
    });
    socket.once("connect", () => {
      state.connected += 1;
      socket.timeout(30000).emit("subscribe", cmd.subscribe, (err, reply) => {
        if (!err && reply && reply.subscriptions) state.subscribed += 1;
        else state.failed.push(err ? String(err) : reply);
        settle();
      });
    });
    socket.once("connect_error", (err) => {
      state.failed.push(err.message);
      settle();
    });
  }
}

function swarmWait(cmd) {
  const state = swarms.get(cmd.prefix);
  const check = () => {
    const done = state.members.filter((m) => m.events >= cmd.events).length;
    if (done === state.members.length) {
      const total = state.members.reduce((sum, m) => sum + m.events, 0);
      report({ type: "swarm_received", prefix: cmd.prefix, sockets: done, events: total });
    } else {
      setTimeout(check, 5);
    }
  };
  check();
}

const handlers = {
  connect,
  emit,
  swarm,
  swarm_wait: swarmWait,
  raw: (cmd) => clients.get(cmd.id).io.engine.write(cmd.data),
  pause: (cmd) => {
    // The WebSocket's TCP socket: once paused, nothing is read and the server's writes pile up.
    clients.get(cmd.id).io.engine.transport.ws._socket.pause();
    report({ id: cmd.id, type: "paused" });
  },
  close: (cmd) => clients.get(cmd.id).close(),
  stall: (cmd) => {
    const WebSocket = require("ws");
    const ws = new WebSocket(cmd.url.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0")) ws.send("40");
      else if (text.startsWith("40")) ws.send("420" + JSON.stringify(["subscribe", cmd.subscribe]));
      else if (text.startsWith("430")) {
        ws._socket.pause();
        report({ id: cmd.id, type: "stalled", ack: JSON.parse(text.slice(3)) });
      }
    });
    ws.on("close", () => report({ id: cmd.id, type: "disconnect", reason: "closed by the server" }));
  },
  mute: (cmd) => {
    const WebSocket = require("ws"); // socket.io-client's own WebSocket implementation
    const ws = new WebSocket(cmd.url.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0")) ws.send("40"); // Engine.IO open → join the namespace
      else if (text.startsWith("40")) report({ id: cmd.id, type: "connect" });
      // "2" (ping) is never answered
    });
    ws.on("close", () => report({ id: cmd.id, type: "disconnect", reason: "closed by the server" }));
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  const handler = handlers[cmd.op];
  if (!handler) {
    report({ type: "bad_command", op: cmd.op });
    return;
  }
  handler(cmd);
});
process.stdin.on("end", () => process.exit(0));
report({ type: "ready" });
