/**
 * The ways the soak serves an emitter and connects its clients: one "leg" per
 * server handler (and, later, per transport). The soak runs every scenario on
 * each leg with the same seed.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { ClientOptions } from '@tidings/client'
import type { Emitter } from '@tidings/server'

/**
 * `node`: `http.createServer((req, res) => emitter.handle(req, res))`.
 * `fetch`: `emitter.fetch` through @hono/node-server's Node adapter.
 * `websocket`: `emitter.upgrade` on the Node server's `upgrade` event, clients
 * with `transport: 'websocket'` (the clients process gives them `ws`'s class:
 * Node 20 has no global WebSocket). The chaos proxy works on TCP, so it carries
 * WebSocket frames unchanged and still cuts, stalls and splits inside them.
 */
export const LEGS = ['node', 'fetch', 'websocket'] as const
export type LegName = (typeof LEGS)[number]

// biome-ignore lint/suspicious/noExplicitAny: the soak serves one contract; the leg needs none of its types
type AnyEmitter = Emitter<any, any>

/** An emitter being served on 127.0.0.1. */
export interface ServedLeg {
  readonly port: number
  /** Streams the HTTP server holds open (after the proxy, so at most one per proxied connection). */
  openSockets(): number
  close(): Promise<void>
}

export interface Leg {
  readonly name: LegName
  /** Starts an HTTP server for `emitter` on a free port. */
  serve(emitter: AnyEmitter): Promise<ServedLeg>
  /** What this leg adds to every client's options (a transport, later). */
  readonly clientOptions: Partial<ClientOptions>
}

async function listen(server: http.Server): Promise<ServedLeg> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const node: Leg = {
  name: 'node',
  serve: (emitter) => listen(http.createServer((req, res) => void emitter.handle(req, res))),
  clientOptions: {},
}

const fetchLeg: Leg = {
  name: 'fetch',
  serve: (emitter) =>
    listen(http.createServer(getRequestListener((request: Request) => emitter.fetch(request)))),
  clientOptions: {},
}

const websocket: Leg = {
  name: 'websocket',
  serve: (emitter) => {
    const server = http.createServer((req, res) => void emitter.handle(req, res))
    server.on('upgrade', (req, socket, head) => void emitter.upgrade(req, socket, head))
    return listen(server)
  },
  clientOptions: { transport: 'websocket' },
}

export const legs: Readonly<Record<LegName, Leg>> = { node, fetch: fetchLeg, websocket }
