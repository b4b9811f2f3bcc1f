'use strict'
// Seneca 3 peer of the peer benchmark.
//   node seneca.js local         seneca.act (promisified) on the instance that has the action
//   node seneca.js http-server   seneca-transport: listen({type: 'http', pin})
//   node seneca.js http-client   seneca-transport: client({type: 'http', pin})
// env: PEERS_PORT, plus load.js's.
const util = require('node:util')
const load = require('./load')

const mode = process.argv[2]
const PORT = Number(process.env.PEERS_PORT)
const PIN = 'role:math,cmd:sum'

const seneca = require('seneca')({ log: 'silent' })

function addSum () {
  seneca.add(PIN, function sum (msg, reply) {
    reply({ answer: msg.left + msg.right })
  })
}

function runClient (timed) {
  const act = util.promisify(seneca.act.bind(seneca))
  load.watchdog()
  load.measure((left, right) => act({ role: 'math', cmd: 'sum', left, right }), { timed })
    .then(() => process.exit(0), e => { console.error(e); process.exit(1) })
}

switch (mode) {
  case 'local':
    addSum()
    seneca.ready(() => runClient(false))
    break
  case 'http-server':
    addSum()
    seneca.listen({ type: 'http', host: '127.0.0.1', port: PORT, pin: PIN })
    seneca.ready(load.ready)
    break
  case 'http-client':
    seneca.client({ type: 'http', host: '127.0.0.1', port: PORT, pin: PIN })
    seneca.ready(() => runClient(true))
    break
  default:
    console.error('usage: node seneca.js local|http-server|http-client')
    process.exit(2)
}
