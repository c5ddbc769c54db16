import http from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { createParser, defineEvents, type ParsedEvent } from '@tidings/schema'
import { createEmitter, type Emitter, HttpError } from '@tidings/server'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { z } from 'zod'
import { until } from './support.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
  blob: z.object({ text: z.string() }),
})

// biome-ignore lint/suspicious/noExplicitAny: scenarios use emitters of several principal types
type AnyEmitter = Emitter<typeof events, any>

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

/** Serves `emitter` on 127.0.0.1: streams on GET, WebSockets on upgrade, both on /events. */
async function serve(emitter: AnyEmitter): Promise<{ port: number; url: string; ws: string }> {
  const server = http.createServer((req, res) => void emitter.handle(req, res))
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/events')) void emitter.upgrade(req, socket, head)
    else socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  cleanup.push(
    () => emitter.close(),
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { port, url: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` }
}

/** A WebSocket client reading the SSE blocks of every message with the spec parser. */
function connect(url: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(url, options)
  const queue: ParsedEvent[] = []
  const comments: string[] = []
  const messages: Buffer[] = []
  let closed: { code: number; reason: string } | undefined
  let refused: number | undefined
  const parser = createParser({
    onEvent: (event) => queue.push(event),
    onComment: (comment) => comments.push(comment),
  })
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(true)
    messages.push(data)
    parser.feed(new Uint8Array(data))
  })
  socket.on('close', (code: number, reason: Buffer) => {
    closed = { code, reason: reason.toString() }
  })
  socket.on('unexpected-response', (_req, res) => {
    refused = res.statusCode
    socket.terminate()
  })
  socket.on('error', () => {})
  cleanup.push(() => socket.terminate())
  return {
    socket,
    queue,
    comments,
    messages,
    closed: () => closed,
    refused: () => refused,
    async next(): Promise<ParsedEvent> {
      await until(() => queue.length > 0 || closed !== undefined, 'an event')
      const event = queue.shift()
      if (!event) throw new Error(`closed: ${JSON.stringify(closed)}`)
      return event
    },
    async take(count: number): Promise<ParsedEvent[]> {
      const out: ParsedEvent[] = []
      for (let i = 0; i < count; i++) out.push(await this.next())
      return out
    },
  }
}

describe('emitter.upgrade', () => {
  it('carries the very SSE stream: hello, bookmark, events as binary messages, topics', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep' }, heartbeatMs: 15000 })
    const { ws } = await serve(emitter)
    const all = connect(`${ws}/events`)
    const room = connect(`${ws}/events?topic=room`)
    await until(() => emitter.stats().connectionsByTransport.websocket === 2, 'two sockets')
    emitter.emit('tick', { n: 1 })
    emitter.to('room').emit('tick', { n: 2 })
    expect(await all.next()).toEqual({ event: 'tick', data: '{"n":1}', id: 'ep-1' })
    expect((await room.take(2)).map((e) => e.data)).toEqual(['{"n":1}', '{"n":2}'])
    expect(all.comments[0]).toBe('tidings heartbeat=15000')
    // The first message is the hello block with the bookmark, exactly the SSE bytes.
    expect(all.messages[0]!.toString()).toMatch(
      /^: tidings heartbeat=15000\nretry:\d+\nid:ep-0\n\n$/,
    )
    expect(emitter.stats().connectionsByTransport).toEqual({ sse: 0, websocket: 2 })
  })

  it('resumes from ?lastEventId with no gap and no duplicate, and signals a gap it cannot serve', async () => {
    const emitter = createEmitter(events, { history: { epoch: 'ep', maxEvents: 50 } })
    const { ws } = await serve(emitter)
    for (let n = 1; n <= 100; n++) emitter.emit('tick', { n })
    const resumed = connect(`${ws}/events?lastEventId=ep-60`)
    await until(() => emitter.stats().connections === 1, 'open')
    emitter.emit('tick', { n: 101 })
    expect((await resumed.take(41)).map((e) => e.id)).toEqual(
      Array.from({ length: 41 }, (_, i) => `ep-${61 + i}`),
    )
    const expired = connect(`${ws}/events?lastEventId=ep-3`)
    const gap = await expired.next()
    expect(gap.event).toBe('tidings:gap')
    expect(JSON.parse(gap.data).reason).toBe('expired')
  })

  it('lets authorize see the upgrade request, and closes a refused socket with 4000 + status', async () => {
    const emitter = createEmitter(events, {
      authorize: (request) => {
        if (request.headers.get('cookie') !== 'session=ok') {
          throw new HttpError('unauthorized', 'Log in first.')
        }
        return { user: 'ada' }
      },
      canSubscribe: (_principal, topic) => topic !== 'secret',
    })
    const { ws } = await serve(emitter)
    const anonymous = connect(`${ws}/events`)
    await until(() => anonymous.closed() !== undefined, 'refusal')
    expect(anonymous.closed()).toEqual({ code: 4401, reason: 'unauthorized' })
    const forbidden = connect(`${ws}/events?topic=secret`, { headers: { cookie: 'session=ok' } })
    await until(() => forbidden.closed() !== undefined, 'refusal')
    expect(forbidden.closed()).toEqual({ code: 4403, reason: 'forbidden' })
    const invalid = connect(`${ws}/events?topic=a%20b`, { headers: { cookie: 'session=ok' } })
    await until(() => invalid.closed() !== undefined, 'refusal')
    expect(invalid.closed()?.code).toBe(4400)
    const ok = connect(`${ws}/events`, { headers: { cookie: 'session=ok' } })
    await until(() => emitter.stats().connections === 1, 'admitted')
    expect(ok.closed()).toBeUndefined()
    expect(emitter.stats().rejections).toMatchObject({
      unauthorized: 1,
      forbidden: 1,
      invalid_topic: 1,
    })
  })

  it('refuses a page of another origin (cross-site hijacking), allows its own and the cors list', async () => {
    const emitter = createEmitter(events, { cors: { origin: ['https://app.example'] } })
    const { ws, port } = await serve(emitter)
    const evil = connect(`${ws}/events`, { origin: 'https://evil.example' })
    const opaque = connect(`${ws}/events`, { origin: 'null' })
    await until(() => evil.refused() !== undefined && opaque.refused() !== undefined, 'refusals')
    expect([evil.refused(), opaque.refused()]).toEqual([403, 403])
    connect(`${ws}/events`, { origin: `http://127.0.0.1:${port}` })
    connect(`${ws}/events`, { origin: 'https://app.example' })
    // No Origin at all: not a browser, nothing to hijack.
    connect(`${ws}/events`)
    await until(() => emitter.stats().connections === 3, 'three admitted')
  })

  it('closes only the socket that sends more than a small message, and answers 4503 at the cap', async () => {
    const emitter = createEmitter(events, { maxConnections: 2, retryMs: 1000 })
    const { ws } = await serve(emitter)
    const chatty = connect(`${ws}/events`)
    const quiet = connect(`${ws}/events`)
    await until(() => emitter.stats().connections === 2, 'two open')
    const third = connect(`${ws}/events`)
    await until(() => third.closed() !== undefined, 'the cap')
    expect(third.closed()?.code).toBe(4503)
    expect(third.closed()?.reason).toMatch(/^unavailable;retry=\d+$/)
    chatty.socket.send('hello?')
    chatty.socket.send('x'.repeat(10_000))
    await until(() => chatty.closed() !== undefined, 'the chatty socket closed')
    expect(chatty.closed()?.code).toBe(1009)
    emitter.emit('tick', { n: 1 })
    expect((await quiet.next()).data).toBe('{"n":1}')
  })

  it('cuts off a client that never reads at maxBufferBytes, like an SSE one, and serves the others in full', async () => {
    const emitter = createEmitter(events, { maxBufferBytes: 256 * 1024 })
    const { ws, port } = await serve(emitter)
    const reader = connect(`${ws}/events`)
    // A raw socket that completes the handshake and then never reads.
    const stalled = net.connect(port, '127.0.0.1')
    stalled.write(
      'GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    stalled.pause()
    cleanup.push(() => stalled.destroy())
    await until(() => emitter.stats().connections === 2, 'both open')
    const text = 'z'.repeat(20_000)
    for (let round = 0; round < 50 && emitter.stats().slowConsumers === 0; round++) {
      for (let i = 0; i < 50; i++) emitter.emit('blob', { text })
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(emitter.stats().slowConsumers).toBe(1)
    const total = emitter.stats().eventsEmitted
    const got = await reader.take(total)
    expect(got.at(-1)?.id?.endsWith(`-${total}`)).toBe(true)
  })

  it('pings, and terminates a peer that stops answering within two heartbeats', async () => {
    const emitter = createEmitter(events, { heartbeatMs: 50 })
    const { ws } = await serve(emitter)
    const deaf = connect(`${ws}/events`, { autoPong: false })
    const alive = connect(`${ws}/events`)
    await until(() => deaf.closed() !== undefined, 'the deaf peer terminated')
    expect(deaf.closed()?.code).toBe(1006)
    expect(alive.closed()).toBeUndefined()
    // Heartbeat comments reach WebSocket clients too, for their idle timers.
    await until(() => alive.comments.includes(''), 'a heartbeat comment')
  })

  it('ends every socket on close() with a retry hint, then 1012', async () => {
    const emitter = createEmitter(events, { retryMs: 2000 })
    const { ws } = await serve(emitter)
    const a = connect(`${ws}/events`)
    await until(() => emitter.stats().connections === 1, 'open')
    await emitter.close()
    await until(() => a.closed() !== undefined, 'closed')
    expect(a.closed()?.code).toBe(1012)
    expect(a.messages.at(-1)?.toString()).toMatch(/^retry:\d+\n\n$/)
  })
})
