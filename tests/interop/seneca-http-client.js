// A stock Seneca 3 client acting a Porticus HTTP listener, for interop tests.
// Usage: node seneca-http-client.js <port> <pin> '<json message>' ['<json message>' ...]
// Prints one JSON line per message: {"ok":true,"res":...} or
// {"ok":false,"code":...,"message":...,"remote":<the listener's JSON error body, if any>}.
'use strict'
const port = parseInt(process.argv[2], 10)
const pin = process.argv[3]
const messages = process.argv.slice(4).map(function (m) { return JSON.parse(m) })
const seneca = require('seneca')({ log: 'silent', legacy: { transport: true }, timeout: 5000 })

seneca.client({ type: 'http', port: port, host: '127.0.0.1', pin: pin })

// seneca-transport's HTTP client wraps a non-2xx reply; the listener's JSON body sits in the
// Wreck error it wraps.
function remoteBody (err) {
  const seen = new Set()
  const stack = [err]
  while (stack.length) {
    const e = stack.pop()
    if (!e || typeof e !== 'object' || seen.has(e)) continue
    seen.add(e)
    if (e.data && e.data.payload && typeof e.data.payload === 'object' && !Buffer.isBuffer(e.data.payload)) {
      return e.data.payload
    }
    stack.push(e.orig, e.details && e.details.orig$, e.data, e.details)
  }
  return null
}

function next (i) {
  if (i >= messages.length) {
    return seneca.close(function () { process.exit(0) })
  }
  seneca.act(messages[i], function (err, res) {
    const line = err
      ? { ok: false, code: err.code, message: err.message, remote: remoteBody(err) }
      : { ok: true, res: res }
    process.stdout.write(JSON.stringify(line) + '\n')
    next(i + 1)
  })
}
seneca.ready(function () { next(0) })
