export { seededRandom as random } from '../support/random.js'

import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { serve } from '@hono/node-server'
import type { Emitter } from '@tidings/server'

/** The two ways a Tidings emitter is served: every server scenario runs through both. */
export const HANDLERS = ['node', 'fetch'] as const
export type HandlerKind = (typeof HANDLERS)[number]

/** The two transports a client reads a stream over: client scenarios run over both. */
export const TRANSPORTS = ['sse', 'websocket'] as const

// biome-ignore lint/suspicious/noExplicitAny: tests serve emitters of any contract and principal
type AnyEmitter = Emitter<any, any, any>

export interface Served {
  readonly server: http.Server
  readonly url: string
  readonly port: number
  /** Open sockets, to cut connections at will. */
  readonly sockets: Set<Socket>
  /** Destroys every open socket (the server stays up). */
  dropAll(): number
  close(): Promise<void>
}

function track(server: http.Server, port: number): Served {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const dropAll = () => {
    const count = sockets.size
    for (const socket of sockets) socket.destroy()
    return count
  }
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    sockets,
    dropAll,
    close: () =>
      new Promise<void>((done) => {
        dropAll()
        server.close(() => done())
      }),
  }
}

const listen = (server: http.Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })

/** A request as the server saw it: its URL (path and query) and its Last-Event-ID header. */
export interface SeenRequest {
  readonly url: URL
  readonly lastEventIdHeader: string | null
}

/**
 * Serves an emitter on 127.0.0.1 (port 0: any free one) through the Node handler,
 * or the Fetch handler via @hono/node-server. Requests are recorded in `seen`.
 * WebSocket upgrades on the same port reach the emitter's WebSocket transport.
 */
export async function serveEmitter(
  kind: HandlerKind,
  emitter: AnyEmitter,
  port = 0,
  seen: SeenRequest[] = [],
): Promise<Served> {
  const served = await serveHttp(kind, emitter, port, seen)
  served.server.on('upgrade', (req, socket, head) => {
    seen.push({
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      lastEventIdHeader: (req.headers['last-event-id'] as string | undefined) ?? null,
    })
    void emitter.upgrade(req, socket, head)
  })
  return served
}

async function serveHttp(
  kind: HandlerKind,
  emitter: AnyEmitter,
  port: number,
  seen: SeenRequest[],
): Promise<Served> {
  if (kind === 'node') {
    const server = http.createServer((req, res) => {
      seen.push({
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        lastEventIdHeader: (req.headers['last-event-id'] as string | undefined) ?? null,
      })
      void emitter.handle(req, res)
    })
    const bound = await listen(server, port)
    return track(server, bound)
  }
  const server = serve({
    fetch: (request: Request) => {
      seen.push({
        url: new URL(request.url),
        lastEventIdHeader: request.headers.get('last-event-id'),
      })
      return emitter.fetch(request)
    },
    port,
    hostname: '127.0.0.1',
  }) as http.Server
  const served = track(server, port)
  await new Promise<void>((resolve) => {
    if (server.listening) resolve()
    else server.once('listening', () => resolve())
  })
  const bound = (server.address() as AddressInfo).port
  return { ...served, url: `http://127.0.0.1:${bound}`, port: bound }
}

/** Serves a plain Node request listener on 127.0.0.1. */
export async function serveNode(listener: http.RequestListener, port = 0): Promise<Served> {
  const server = http.createServer(listener)
  const bound = await listen(server, port)
  return track(server, bound)
}

/** Polls `check` on the event loop until it holds (bounded; no timing assertions). */
export async function until(check: () => boolean, what = 'condition', tries = 4000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}
