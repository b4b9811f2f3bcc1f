'use strict'
// Moleculer 0.15 peer of the peer benchmark.
//   node moleculer.js local        one ServiceBroker, no transporter: broker.call('math.sum')
//   node moleculer.js tcp-server   the math service on a broker with the TCP transporter
//   node moleculer.js tcp-client   a second broker calling it through the TCP transporter
// TCP transporter: UDP discovery off, static 127.0.0.1 urls of both nodes.
// env: PEERS_PORT (server), PEERS_PORT2 (client), PEERS_NS (namespace), plus load.js's.
const { ServiceBroker } = require('moleculer')
const load = require('./load')

const mode = process.argv[2]
const SERVER_PORT = Number(process.env.PEERS_PORT)
const CLIENT_PORT = Number(process.env.PEERS_PORT2)

function transporter (side) {
  if (mode === 'local') return null
  return {
    type: 'TCP',
    options: {
      udpDiscovery: false,
      port: side === 'server' ? SERVER_PORT : CLIENT_PORT,
      urls: [`127.0.0.1:${SERVER_PORT}/peers-server`, `127.0.0.1:${CLIENT_PORT}/peers-client`]
    }
  }
}

async function main () {
  const side = { local: 'local', 'tcp-server': 'server', 'tcp-client': 'client' }[mode]
  if (!side) {
    console.error('usage: node moleculer.js local|tcp-server|tcp-client')
    process.exit(2)
  }
  const broker = new ServiceBroker({
    nodeID: 'peers-' + side,
    namespace: process.env.PEERS_NS || 'porticus-peers',
    transporter: transporter(side),
    logger: false
  })
  if (side !== 'client') {
    broker.createService({
      name: 'math',
      actions: {
        sum (ctx) { return { answer: ctx.params.left + ctx.params.right } }
      }
    })
  }
  await broker.start()
  if (side === 'server') return load.ready()
  if (side === 'client') await broker.waitForServices('math', 20000)
  load.watchdog()
  await load.measure((left, right) => broker.call('math.sum', { left, right }), { timed: side !== 'local' })
  process.exit(0)
}

main().catch(e => { console.error(e); process.exit(1) })
