'use strict'
// Closed-loop load generator of the Node.js peers in the peer benchmark
// (tests/benches/peers.rs drives it; docs/performance.md describes the workload).
//
// Speaks the driver's line protocol on stdout:
//   READY            a server accepts work (see ready())
//   WINDOW <conc>    the measured window of one concurrency level starts (after its warm-up)
//   END <conc>       it ended: the driver reads CPU counters at WINDOW and END
//   RESULT {json}    {conc, ok, errors, secs, p50_us, p99_us, last_error}
// Every process exits when its standard input closes (the driver stopped or died).
//
// env: DURATION, WARMUP (seconds), CONCS ("1,64").

const { performance } = require('node:perf_hooks')

const seconds = (name, fallback) => {
  const v = Number(process.env[name])
  return Number.isFinite(v) && v >= 0 ? v : fallback
}
const DURATION_MS = seconds('DURATION', 5) * 1000
const WARMUP_MS = seconds('WARMUP', 2) * 1000
const CONCS = (process.env.CONCS || '1,64').split(',').map(s => parseInt(s, 10)).filter(n => n > 0)

// Exit when the driver closes our stdin (also when it dies).
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()

function line (text) { process.stdout.write(text + '\n') }

function ready () { line('READY') }

// `conc` workers, each awaiting one call at a time until `ms` elapsed. call(left, right)
// resolves to the reply; a reply whose `answer` is not left + right is an error.
// timed: record every call's latency (remote rows); otherwise count only, reading the clock
// once per batch of calls (local rows, where a clock read per call would be a visible cost).
async function loop (call, conc, ms, timed) {
  const start = performance.now()
  const deadline = start + ms
  const lat = timed ? [] : null
  let ok = 0
  let errors = 0
  let lastError = null
  const check = (r, expect) => {
    if (r && r.answer === expect) ok++
    else { errors++; lastError = 'wrong answer ' + JSON.stringify(r) }
  }
  async function worker (w) {
    let i = 0
    if (timed) {
      for (;;) {
        const t0 = performance.now()
        if (t0 >= deadline) return
        const right = i++
        try {
          check(await call(w, right), w + right)
        } catch (e) {
          errors++
          lastError = String((e && e.message) || e)
        }
        lat.push(performance.now() - t0)
      }
    } else {
      // Calls between two clock reads: doubled (up to 256) while a batch takes under 1 ms.
      let batch = 1
      let t = performance.now()
      while (t < deadline) {
        for (let k = 0; k < batch; k++) {
          const right = i++
          try {
            check(await call(w, right), w + right)
          } catch (e) {
            errors++
            lastError = String((e && e.message) || e)
          }
        }
        const now = performance.now()
        if (now - t < 1 && batch < 256) batch *= 2
        t = now
      }
    }
  }
  await Promise.all(Array.from({ length: conc }, (_, w) => worker(w)))
  return { ok, errors, secs: (performance.now() - start) / 1000, lat, lastError }
}

function quantileUs (sorted, p) {
  if (!sorted || sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))
  return Math.round(sorted[i] * 1000 * 100) / 100 // ms -> µs, 2 decimals
}

// Runs warm-up + measured window for each concurrency level, printing the protocol lines.
async function measure (call, { timed }) {
  for (const conc of CONCS) {
    if (WARMUP_MS > 0) await loop(call, conc, WARMUP_MS, timed)
    line('WINDOW ' + conc)
    const r = await loop(call, conc, DURATION_MS, timed)
    line('END ' + conc)
    const sorted = r.lat ? Float64Array.from(r.lat).sort() : null
    line('RESULT ' + JSON.stringify({
      conc,
      ok: r.ok,
      errors: r.errors,
      secs: r.secs,
      p50_us: quantileUs(sorted, 0.5),
      p99_us: quantileUs(sorted, 0.99),
      last_error: r.lastError
    }))
  }
}

// Hard stop for a client that hangs (a lost reply): the driver also has a time limit.
function watchdog () {
  const ms = CONCS.length * (DURATION_MS + WARMUP_MS) + 90000
  setTimeout(() => { console.error('watchdog: giving up'); process.exit(3) }, ms).unref()
}

module.exports = { measure, ready, watchdog }
