import type { Server } from 'node:http'
import {
  type ContenderName,
  EVENT_NAME,
  TEAM_EVENT,
  type TeamPayload,
  type TickPayload,
  type Wire,
} from './protocol.js'

/** One fan-out implementation, attached to a plain Node `http` server in the server process. */
export interface Contender {
  /** Path the load clients request. */
  readonly path: string
  readonly wire: Wire
  /** Subscribers the implementation itself counts (to know every client is registered). */
  subscribers(): number
  /** Broadcasts one event to every subscriber. */
  emit(payload: TickPayload): void
  /**
   * Emits to the subscribers of one topic or room (the per-user scenario):
   * `tick` to `user:<k>`, `team` to `team`. Contenders without topics leave it out.
   */
  emitTo?(room: string, payload: TickPayload | TeamPayload): void
  /** Implementation-specific counters reported after each scenario (drops, cut-offs). */
  stats(): unknown
  /**
   * Emits not yet acknowledged by a broker (Redis): full rate holds off while it is high, so a
   * contender whose emit is asynchronous cannot queue without bound.
   */
  backlog?(): number
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
}

/** The baseline: one pre-encoded string per event, written to every response. */
function raw(server: Server): Contender {
  const responses = new Set<import('node:http').ServerResponse>()
  server.on('request', (_req, res) => {
    res.writeHead(200, SSE_HEADERS)
    res.write(':ok\n\n')
    responses.add(res)
    res.on('close', () => responses.delete(res))
  })
  return {
    path: '/events',
    wire: 'sse',
    subscribers: () => responses.size,
    emit(payload) {
      const chunk = `id:${payload.seq}\nevent:${EVENT_NAME}\ndata:${JSON.stringify(payload)}\n\n`
      for (const res of responses) res.write(chunk)
    },
    stats: () => ({}),
  }
}

/** Events of one tick joined into one `Buffer`, written once per connection (see EXPERIMENTS). */
function rawTick(server: Server, mode: 'plain' | 'cork' | 'close' | 'immediate'): Contender {
  const closeDelimited = mode === 'close'
  const cork = mode === 'cork'
  const responses = new Set<import('node:http').ServerResponse>()
  server.on('request', (_req, res) => {
    // Without Transfer-Encoding (and without Content-Length) Node ends the body by closing.
    if (closeDelimited) res.removeHeader('Transfer-Encoding')
    res.writeHead(200, SSE_HEADERS)
    res.write(':ok\n\n')
    responses.add(res)
    res.on('close', () => responses.delete(res))
  })
  let pending: string[] = []
  const flush = (): void => {
    const chunk = Buffer.from(pending.join(''))
    pending = []
    if (cork) {
      for (const res of responses) {
        res.cork()
        res.write(chunk)
        res.uncork()
      }
    } else {
      for (const res of responses) res.write(chunk)
    }
  }
  return {
    path: '/events',
    wire: 'sse',
    subscribers: () => responses.size,
    emit(payload) {
      if (pending.length === 0) {
        if (mode === 'immediate') setImmediate(flush)
        else queueMicrotask(flush)
      }
      pending.push(`id:${payload.seq}\nevent:${EVENT_NAME}\ndata:${JSON.stringify(payload)}\n\n`)
    },
    stats: () => ({}),
  }
}

/** better-sse as documented: a session per request, registered on one channel, `broadcast`. */
async function betterSse(server: Server): Promise<Contender> {
  const { createChannel, createSession } = await import('better-sse')
  const channel = createChannel()
  server.on('request', (req, res) => {
    createSession(req, res).then(
      (session) => channel.register(session),
      () => res.destroy(),
    )
  })
  return {
    path: '/events',
    wire: 'sse',
    subscribers: () => channel.sessionCount,
    // A short id like the others (the default is a random UUID per broadcast).
    emit: (payload) => channel.broadcast(payload, EVENT_NAME, { eventId: String(payload.seq) }),
    stats: () => ({}),
  }
}

/** socket.io restricted to its WebSocket transport, broadcasting with `io.emit`, rooms with `io.to(room).emit`. */
async function socketIo(server: Server): Promise<Contender> {
  const { Server: IoServer } = await import('socket.io')
  const io = new IoServer(server, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
  })
  // The per-user scenario names the rooms in the handshake query, comma separated
  // (as socket.io-client sends an array): `rooms=team,user:<k>`.
  io.on('connection', (socket) => {
    const rooms = socket.handshake.query.rooms
    for (const room of String(rooms ?? '').split(',')) if (room) void socket.join(room)
  })
  return {
    path: '/socket.io/?EIO=4&transport=websocket',
    wire: 'socket.io',
    subscribers: () => io.of('/').sockets.size,
    emit: (payload) => {
      io.emit(EVENT_NAME, payload)
    },
    emitTo: (room, payload) => {
      io.to(room).emit('team' in payload ? TEAM_EVENT : EVENT_NAME, payload)
    },
    stats: () => ({ engineClients: io.engine.clientsCount }),
  }
}

async function tidings(server: Server, variant: 'sse' | 'ws' | 'redis'): Promise<Contender> {
  const { createTidings } = await import('./tidings.js')
  return createTidings(server, variant)
}

/** The WebSocket baseline: `ws`, one pre-encoded string per event, `send` to every socket. */
async function rawWs(server: Server): Promise<Contender> {
  const { WebSocketServer } = await import('ws')
  const wss = new WebSocketServer({ server, perMessageDeflate: false })
  return {
    path: '/',
    wire: 'ws',
    subscribers: () => wss.clients.size,
    emit(payload) {
      const text = JSON.stringify(payload)
      for (const ws of wss.clients) ws.send(text)
    },
    stats: () => ({}),
  }
}

/** socket.io as above, with `@socket.io/redis-streams-adapter` on ioredis: the peer on Redis. */
async function socketIoRedis(server: Server): Promise<Contender> {
  const [{ Server: IoServer }, { createAdapter }, { Redis }] = await Promise.all([
    import('socket.io'),
    import('@socket.io/redis-streams-adapter'),
    import('ioredis'),
  ])
  const redis = new Redis(Number(process.env.BENCH_REDIS_PORT), '127.0.0.1')
  const io = new IoServer(server, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    httpCompression: false,
    adapter: createAdapter(redis, { streamName: process.env.BENCH_REDIS_PREFIX ?? 'socket.io' }),
  })
  return {
    path: '/socket.io/?EIO=4&transport=websocket',
    wire: 'socket.io',
    subscribers: () => io.of('/').sockets.size,
    emit: (payload) => {
      io.emit(EVENT_NAME, payload)
    },
    stats: () => ({ engineClients: io.engine.clientsCount }),
  }
}

export async function createContender(name: ContenderName, server: Server): Promise<Contender> {
  switch (name) {
    case 'raw':
      return raw(server)
    case 'tidings':
      return tidings(server, 'sse')
    case 'tidings-ws':
      return tidings(server, 'ws')
    case 'tidings-redis':
      return tidings(server, 'redis')
    case 'raw-ws':
      return rawWs(server)
    case 'socket.io-redis':
      return socketIoRedis(server)
    case 'better-sse':
      return betterSse(server)
    case 'socket.io':
      return socketIo(server)
    case 'raw-tick':
      return rawTick(server, 'plain')
    case 'raw-tick-cork':
      return rawTick(server, 'cork')
    case 'raw-tick-close':
      return rawTick(server, 'close')
    case 'raw-tick-immediate':
      return rawTick(server, 'immediate')
  }
}
