/**
 * The memory bench's server process: one contender on a Node `http` server on
 * 127.0.0.1, driven over IPC. It measures itself: RSS after `gc()`, and the
 * peak RSS of a window (the kernel's VmHWM, reset through /proc/self/clear_refs).
 * Run with `--expose-gc`; argv: contender name, then the options as JSON.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { announceReady, serveParent } from '../../test/support/child-rpc.js'
import { collectedMemory } from '../support/memory.js'
import {
  type BlobPayload,
  CONTENDERS,
  type ContenderName,
  EVENT_NAME,
  type Peak,
  type ServerOptions,
  type ServerRequest,
  type Wire,
} from './protocol.js'

interface Contender {
  readonly wire: Wire
  readonly path: string
  opened(): number
  /** Emits one event to everyone (`topic` undefined) or to a topic; returns its id if it has one. */
  emit(payload: BlobPayload, topic: string | undefined): string | undefined
  stats(): unknown
}

const name = process.argv[2] as ContenderName
if (!CONTENDERS.includes(name)) throw new Error(`unknown contender ${String(name)}`)
const options = JSON.parse(process.argv[3] ?? '{}') as ServerOptions
const server = createServer()
server.keepAliveTimeout = 0

const topicsOf = (req: IncomingMessage): string[] =>
  new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('topic')

async function tidings(): Promise<Contender> {
  const { defineEvents } = await import('@tidings/schema')
  const { createEmitter } = await import('@tidings/server')
  const { z } = await import('zod')
  const events = defineEvents({ [EVENT_NAME]: z.object({ n: z.number(), pad: z.string() }) })
  const emitter = createEmitter(events, {
    history: { maxEvents: options.historyEvents },
    maxBufferBytes: options.maxBufferBytes,
    // Out of the way: heartbeats would only add writes to the measured window.
    heartbeatMs: 600_000,
  })
  server.on('request', (req, res) => void emitter.handle(req, res))
  return {
    wire: 'sse',
    path: '/events',
    opened: () => emitter.stats().connectionsOpened,
    emit: (payload, topic) =>
      topic === undefined
        ? emitter.emit(EVENT_NAME, payload)
        : emitter.to(topic).emit(EVENT_NAME, payload),
    stats: () => emitter.stats(),
  }
}

/** better-sse as documented: a session per request, registered on one channel per topic. */
async function betterSse(): Promise<Contender> {
  const { createChannel, createSession } = await import('better-sse')
  const channels = new Map<string, ReturnType<typeof createChannel>>()
  const channel = (topic: string) => {
    let found = channels.get(topic)
    if (!found) {
      found = createChannel()
      channels.set(topic, found)
    }
    return found
  }
  const everyone = createChannel()
  let opened = 0
  server.on('request', (req, res) => {
    createSession(req, res).then(
      (session) => {
        opened++
        everyone.register(session)
        for (const topic of topicsOf(req)) channel(topic).register(session)
      },
      () => res.destroy(),
    )
  })
  return {
    wire: 'sse',
    path: '/events',
    opened: () => opened,
    emit: (payload, topic) => {
      const target = topic === undefined ? everyone : channel(topic)
      target.broadcast(payload, EVENT_NAME, { eventId: String(payload.n) })
      return undefined
    },
    stats: () => ({ sessions: everyone.sessionCount }),
  }
}

/** socket.io on its WebSocket transport; each socket joins the rooms listed in its handshake query. */
async function socketIo(): Promise<Contender> {
  const { Server } = await import('socket.io')
  const io = new Server(server, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
  })
  let opened = 0
  io.on('connection', (socket) => {
    opened++
    const rooms = socket.handshake.query.rooms
    for (const room of String(rooms ?? '').split(',')) if (room) void socket.join(room)
  })
  return {
    wire: 'socket.io',
    path: '/socket.io/',
    opened: () => opened,
    emit: (payload, topic) => {
      if (topic === undefined) io.emit(EVENT_NAME, payload)
      else io.to(topic).emit(EVENT_NAME, payload)
      return undefined
    },
    stats: () => ({ sockets: io.of('/').sockets.size }),
  }
}

const contender =
  name === 'tidings'
    ? await tidings()
    : name === 'better-sse'
      ? await betterSse()
      : await socketIo()

// The fallback peak: sampled between ticks (misses what a long tick allocates and frees).
let sampledPeak = 0
setInterval(() => {
  sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())
}, 5).unref()

function hwm(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

function resetPeak(): void {
  sampledPeak = process.memoryUsage.rss()
  try {
    // "5" resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
    writeFileSync('/proc/self/clear_refs', '5')
  } catch {
    // No /proc: the sampled peak alone.
  }
}

const payload = (n: number, size: number): BlobPayload => ({
  n,
  // The JSON around the padding is about 20 bytes.
  pad: 'x'.repeat(Math.max(0, size - 20)),
})

serveParent<ServerRequest>(async (request) => {
  switch (request.cmd) {
    case 'opened':
      return contender.opened()
    case 'prime': {
      let first: string | undefined
      for (let n = 0; n < request.count; n++) {
        const id = contender.emit(payload(n, request.size), undefined)
        first ??= id
      }
      return first ?? null
    }
    case 'memory':
      return collectedMemory()
    case 'reset-peak':
      resetPeak()
      return null
    case 'peak': {
      const kernel = hwm()
      return (
        kernel === undefined
          ? { rss: sampledPeak, source: 'sampled' }
          : { rss: Math.max(kernel, sampledPeak), source: 'VmHWM' }
      ) satisfies Peak
    }
    case 'burst':
      for (let n = 0; n < request.count; n++) {
        contender.emit(payload(n, request.size), request.topic)
      }
      return null
    case 'stats':
      return contender.stats()
  }
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  announceReady({ port, wire: contender.wire, path: contender.path })
})
