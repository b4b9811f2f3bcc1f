// A stock Seneca 3 service listening through seneca-amqp-transport 2.2.0, for interop tests.
// Usage: node seneca-amqp-listener.js <amqp url>   — prints "READY" once consuming.
'use strict'
const url = process.argv[2]
const seneca = require('seneca')({ log: 'silent', legacy: { transport: true } })
// seneca-amqp-transport acts through a fatal$ delegate: without this, any error reply kills the
// process (seneca.md §4.5). The workaround the community uses.
seneca.fixedargs.fatal$ = false

seneca.use('seneca-amqp-transport')
seneca.add('role:seneca_side,cmd:sum', function (msg, reply) {
  reply(null, { answer: msg.left + msg.right, by: 'seneca' })
})
seneca.add('role:seneca_side,cmd:fail', function (msg, reply) {
  reply(new Error('seneca-fail-on-purpose'))
})
seneca.listen({ type: 'amqp', pin: 'role:seneca_side,cmd:*', url: url })
seneca.ready(function () {
  process.stdout.write('READY\n')
})
process.on('SIGTERM', function () { process.exit(0) })
