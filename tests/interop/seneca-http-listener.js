// A stock Seneca 3 service listening on seneca-transport's HTTP wire, for interop tests.
// Usage: node seneca-http-listener.js <port>   — prints "READY <port>" once listening.
'use strict'
const port = parseInt(process.argv[2], 10)
const seneca = require('seneca')({ log: 'silent', legacy: { transport: true } })

seneca.add('role:seneca_side,cmd:sum', function (msg, reply) {
  reply({ answer: msg.left + msg.right, by: 'seneca' })
})
seneca.add('role:seneca_side,cmd:fail', function (msg, reply) {
  reply(new Error('seneca-fail-on-purpose'))
})

seneca.listen({ type: 'http', port: port, host: '127.0.0.1', pin: 'role:seneca_side' })
seneca.ready(function () {
  process.stdout.write('READY ' + port + '\n')
})
process.on('SIGTERM', function () { seneca.close(function () { process.exit(0) }) })
