// A stock Seneca 3 client acting a Porticus AMQP listener through seneca-amqp-transport 2.2.0.
// Usage: node seneca-amqp-client.js <amqp url> <pin> '<json message>' ['<json message>' ...]
// Prints one JSON line per message: {"ok":true,"res":...} or {"ok":false,"code":...,"message":...}.
'use strict'
const url = process.argv[2]
const pin = process.argv[3]
const messages = process.argv.slice(4).map(function (m) { return JSON.parse(m) })
const seneca = require('seneca')({ log: 'silent', legacy: { transport: true }, timeout: 10000 })
seneca.fixedargs.fatal$ = false

seneca.use('seneca-amqp-transport')
seneca.client({ type: 'amqp', pin: pin, url: url })

function next (i) {
  if (i >= messages.length) {
    return seneca.close(function () { process.exit(0) })
  }
  seneca.act(messages[i], function (err, res) {
    const line = err
      ? { ok: false, code: err.code, message: err.message }
      : { ok: true, res: res }
    process.stdout.write(JSON.stringify(line) + '\n')
    next(i + 1)
  })
}
seneca.ready(function () { next(0) })
