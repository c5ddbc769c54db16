/**
 * One contender's server process for `npm run bench:runs` (see index.ts). Serves
 * the runs' streams on `/events` and a small control API on `/control/*`:
 * `prepare` (create the runs), `start` (emit tokens), `stats` (CPU, memory, counts).
 *
 * Usage: server.ts <tidings-memory|tidings-redis|resumable-stream> <redisPort>
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRedisStore } from '@tidings/redis'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { Redis } from 'ioredis'
import { createResumableStreamContext } from 'resumable-stream/ioredis'
import { z } from 'zod'

const kind = process.argv[2] as 'tidings-memory' | 'tidings-redis' | 'resumable-stream'
const redisPort = Number(process.argv[3])
const now = (): number => performance.timeOrigin + performance.now()

const events = defineEvents({ token: z.object({ i: z.number(), t: z.number(), text: z.string() }) })

/** A run: a producer that emits `rate` tokens a second until `seconds` have passed, then ends. */
interface Run {
  readonly id: number
  sent: number
  emit(i: number): void
  end(): void
}

let runs: Run[] = []
/** How often a producer was started: after the end, a late resume must not start one again. */
let producerCalls = 0
let cpuAtStart = process.cpuUsage()
let rssBefore = 0
let tokensEmitted = 0
let lateRequests = 0
let endedReplies = 0
/** Failures reported by the emitter (a store read that failed ends that stream with a retry hint). */
let errors = 0
const onError = (): void => {
  errors++
}
let emitter: ReturnType<typeof createEmitter<typeof events>> | undefined
let shared: ReturnType<typeof createEmitter<typeof events, undefined>> | undefined

const redis = (): Redis => new Redis(redisPort, '127.0.0.1', { maxRetriesPerRequest: 3 })

if (kind === 'tidings-memory') {
  // Enough history for every run's tokens: a late resume reads them from memory.
  emitter = createEmitter(events, {
    history: { maxEvents: 1_000_000, maxAgeMs: 600_000 },
    validate: false,
    onError,
  })
} else if (kind === 'tidings-redis') {
  shared = createEmitter(events, {
    store: createRedisStore({ redis: redis(), maxEvents: 1_000_000 }),
    history: { maxEvents: 100_000 },
    validate: false,
    onError,
  }) as never
}
const ctx =
  kind === 'resumable-stream'
    ? createResumableStreamContext({ waitUntil: null, publisher: redis(), subscriber: redis() })
    : undefined

function tidingsRun(id: number): Run {
  const topic = `run:${id}`
  return {
    id,
    sent: 0,
    emit(i) {
      const payload = { i, t: now(), text: 'tok' }
      if (emitter) emitter.to(topic).emit('token', payload)
      else void shared!.to(topic).emit('token', payload)
    },
    end() {
      if (emitter) emitter.to(topic).end()
      else void shared!.to(topic).end()
    },
  }
}

/** resumable-stream: the producer is a ReadableStream of SSE text, drained here as the original response would be. */
function resumableRun(id: number): Run {
  let controller: ReadableStreamDefaultController<string> | undefined
  const run: Run = {
    id,
    sent: 0,
    emit(i) {
      controller?.enqueue(
        `id:${i}\nevent:token\ndata:${JSON.stringify({ i, t: now(), text: 'tok' })}\n\n`,
      )
    },
    end() {
      controller?.enqueue('event:tidings:end\ndata:{"reason":"complete"}\n\n')
      controller?.close()
    },
  }
  void ctx!
    .createNewResumableStream(`run-${id}`, () => {
      producerCalls++
      return new ReadableStream<string>({
        start(c) {
          controller = c
        },
      })
    })
    .then(async (stream) => {
      const reader = stream?.getReader()
      if (!reader) return
      for (;;) if ((await reader.read()).done) return
    })
  return run
}

function start(rate: number, seconds: number): void {
  cpuAtStart = process.cpuUsage()
  const total = rate * seconds
  const tickMs = 1000 / rate
  let tick = 0
  // One timer for all runs: each emits one token per tick.
  const timer = setInterval(() => {
    for (const run of runs) {
      run.emit(tick)
      run.sent++
      tokensEmitted++
    }
    tick++
    if (tick >= total) {
      clearInterval(timer)
      for (const run of runs) run.end()
    }
  }, tickMs)
}

async function serveResumable(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const run = Number(url.searchParams.get('run'))
  const skip = Number(url.searchParams.get('skip') ?? 0)
  if (url.searchParams.get('late')) lateRequests++
  const stream = await ctx!.resumeExistingStream(`run-${run}`, skip)
  if (!stream) {
    // Done (null) or unknown (undefined): nothing to resume from.
    endedReplies++
    res.writeHead(204).end()
    return
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' })
  const reader = stream.getReader()
  req.on('close', () => void reader.cancel())
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    res.write(value)
  }
  res.end()
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname === '/control/prepare') {
    const count = Number(url.searchParams.get('runs'))
    runs = Array.from({ length: count }, (_, id) => (ctx ? resumableRun(id) : tidingsRun(id)))
    producerCalls = ctx ? producerCalls : count
    global.gc?.()
    rssBefore = process.memoryUsage().rss
    res.end('{}')
    return
  }
  if (url.pathname === '/control/start') {
    start(Number(url.searchParams.get('rate')), Number(url.searchParams.get('seconds')))
    res.end('{}')
    return
  }
  if (url.pathname === '/control/stats') {
    const cpu = process.cpuUsage(cpuAtStart)
    global.gc?.()
    const stats = emitter?.stats() ?? shared?.stats()
    res.end(
      JSON.stringify({
        cpuMicros: cpu.user + cpu.system,
        tokensEmitted,
        producerCalls,
        rssBefore,
        rss: process.memoryUsage().rss,
        lateRequests,
        errors,
        endedReplies: stats?.endedReplies ?? endedReplies,
      }),
    )
    return
  }
  if (url.searchParams.get('late')) lateRequests++
  if (ctx) void serveResumable(req, res, url)
  else void (emitter ?? shared)!.handle(req, res)
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  process.stdout.write(`READY ${port}\n`)
})
