import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { defineEvents, END_EVENT, GAP_EVENT, type ParsedEvent } from '@tidings/schema'
import { createEmitter, EmitError, type Emitter, type EmitterOptions } from '@tidings/server'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { z } from 'zod'
import {
  drain,
  HANDLERS,
  openStream,
  request,
  type Served,
  serveEmitter,
  until,
} from './support.js'

const events = defineEvents({ token: z.object({ text: z.string() }) })
type Events = typeof events

const names = (list: readonly ParsedEvent[]) => list.map((e) => e.event)
const texts = (list: readonly ParsedEvent[]) =>
  list.filter((e) => e.event === 'token').map((e) => (JSON.parse(e.data) as { text: string }).text)

describe('emitter.to(topic).end()', () => {
  let emitter: Emitter<Events> | undefined
  afterEach(async () => {
    await emitter?.close()
    emitter = undefined
  })

  it('appends one end event; a second end is a no-op; emitting after it throws topic_ended', () => {
    emitter = createEmitter(events)
    const run = emitter.to('run:1')
    run.emit('token', { text: 'a' })
    expect(run.end()).toBeUndefined()
    const head = emitter.stats().headId
    run.end('failed')
    expect(emitter.stats().headId).toBe(head)
    expect(() => run.emit('token', { text: 'b' })).toThrow(EmitError)
    try {
      emitter.to(['run:2', 'run:1']).emit('token', { text: 'b' })
      expect.unreachable()
    } catch (error) {
      expect((error as EmitError).code).toBe('topic_ended')
    }
    // Broadcasts and other topics go on.
    emitter.emit('token', { text: 'c' })
    emitter.to('run:2').emit('token', { text: 'd' })
    expect(emitter.stats().endedTopics).toBe(1)
  })

  it('to([a, b]).end() ends each; a bad reason throws invalid_reason and ends nothing', () => {
    emitter = createEmitter(events)
    expect(() => emitter!.to('a').end('' as string)).toThrow(/reason/)
    expect(() => emitter!.to('a').end(42 as unknown as string)).toThrow(EmitError)
    expect(emitter.stats().endedTopics).toBe(0)
    emitter.to(['a', 'b']).end('cancelled')
    expect(emitter.stats().endedTopics).toBe(2)
    expect(() => emitter!.to('b').emit('token', { text: 'x' })).toThrow(/ended/)
  })
})

describe.each(HANDLERS)('streams that end (%s handler)', (kind) => {
  let emitter: Emitter<Events> | undefined
  let served: Served | undefined
  afterEach(async () => {
    await emitter?.close()
    await served?.close()
    emitter = undefined
    served = undefined
  })

  async function setup(options: EmitterOptions & { store?: undefined } = {}) {
    const created = createEmitter(events, { heartbeatMs: 60_000, ...options })
    emitter = created
    served = await serveEmitter(kind, created)
    return { emitter: created, url: `${served.url}/events` }
  }

  it('a live stream gets the end and is closed; one holding another topic goes on', async () => {
    const { emitter, url } = await setup()
    const disconnects: string[] = []
    const only = await openStream(`${url}?topic=run:1`)
    const both = await openStream(`${url}?topic=run:1&topic=run:2`)
    await until(() => emitter.stats().connections === 2)
    emitter.to('run:1').emit('token', { text: 'a' })
    emitter.to('run:1').end()
    const got = await drain(only)
    expect(names(got)).toEqual(['token', END_EVENT])
    expect(JSON.parse(got[1]!.data)).toEqual({ topic: 'run:1', reason: 'complete' })
    expect(names(await both.take(2))).toEqual(['token', END_EVENT])
    emitter.to('run:2').emit('token', { text: 'b' })
    expect(texts([await both.next()])).toEqual(['b'])
    expect(emitter.stats().connections).toBe(1)
    emitter.to('run:2').end('failed')
    const rest = await drain(both)
    expect(names(rest)).toEqual([END_EVENT])
    expect(JSON.parse(rest[0]!.data)).toEqual({ topic: 'run:2', reason: 'failed' })
    await until(() => emitter.stats().connections === 0)
    void disconnects
  })

  it('a late fresh client with replay gets the history and the end, then the stream closes', async () => {
    const { emitter, url } = await setup()
    for (let i = 0; i < 5; i++) emitter.to('run:1').emit('token', { text: `t${i}` })
    emitter.to('run:1').end()
    const late = await openStream(`${url}?topic=run:1&replay=100`)
    expect(late.status).toBe(200)
    const got = await drain(late)
    expect(texts(got)).toEqual(['t0', 't1', 't2', 't3', 't4'])
    expect(names(got).filter((n) => n === END_EVENT)).toHaveLength(1)
    expect(got.at(-1)!.event).toBe(END_EVENT)
  })

  it('a late fresh client without replay gets just the end, then the stream closes', async () => {
    const { emitter, url } = await setup()
    emitter.to('run:1').emit('token', { text: 'a' })
    emitter.to('run:1').end()
    emitter.emit('token', { text: 'broadcast after' })
    const late = await openStream(`${url}?topic=run:1`)
    expect(names(await drain(late))).toEqual([END_EVENT])
    // What an EventSource would come back with: nothing is left, 204.
    const again = await request(`${url}?topic=run:1`, {
      headers: { 'Last-Event-ID': late.lastEventId()! },
    })
    expect(again.status).toBe(204)
  })

  it('a late resume gets the rest and the end, then a reconnect from the end gets 204', async () => {
    const { emitter, url } = await setup()
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push(emitter.to('run:1').emit('token', { text: `t${i}` }))
    emitter.to('run:1').end()
    const late = await openStream(`${url}?topic=run:1`, { 'Last-Event-ID': ids[2]! })
    const got = await drain(late)
    expect(texts(got)).toEqual(['t3', 't4', 't5'])
    expect(got.at(-1)!.event).toBe(END_EVENT)
    const endId = late.lastEventId()!
    const reconnect = await request(`${url}?topic=run:1`, { headers: { 'Last-Event-ID': endId } })
    expect(reconnect.status).toBe(204)
    expect(reconnect.body).toBe('')
    expect(emitter.stats().endedReplies).toBe(1)
    // An id before the end is not "everything": it still gets the end.
    const before = await openStream(`${url}?topic=run:1`, { 'Last-Event-ID': ids[5]! })
    expect(names(await drain(before))).toEqual([END_EVENT])
    // One topic still open: no 204, a stream.
    const mixed = await openStream(`${url}?topic=run:1&topic=run:9`, { 'Last-Event-ID': endId })
    expect(mixed.status).toBe(200)
    mixed.close()
  })

  it('past the history, a late resume gets the gap (expired) and the end, then the stream closes', async () => {
    let now = 1_000_000
    const { emitter, url } = await setup({ history: { maxEvents: 3, now: () => now } })
    const ids: string[] = []
    for (let i = 0; i < 10; i++) ids.push(emitter.to('run:1').emit('token', { text: `t${i}` }))
    emitter.to('run:1').end()
    for (let i = 0; i < 5; i++) emitter.to('other').emit('token', { text: `o${i}` })
    now += 1000
    const late = await openStream(`${url}?topic=run:1`, { 'Last-Event-ID': ids[1]! })
    const got = await drain(late)
    expect(names(got)).toEqual([GAP_EVENT, END_EVENT])
    expect(JSON.parse(got[0]!.data)).toMatchObject({ reason: 'expired', lastEventId: ids[1] })
    // The end's own id, so a reconnect from it is a 204.
    const reconnect = await request(`${url}?topic=run:1`, {
      headers: { 'Last-Event-ID': late.lastEventId()! },
    })
    expect(reconnect.status).toBe(204)
    // A fresh client too gets the end after the history dropped it.
    const fresh = await openStream(`${url}?topic=run:1&replay=10`)
    expect(names(await drain(fresh))).toEqual([END_EVENT])
  })

  it('past the ended retention the topic is forgotten: a new topic again', async () => {
    let now = 1_000_000
    const { emitter, url } = await setup({ ended: { maxAgeMs: 1000 }, history: { now: () => now } })
    emitter.to('run:1').end()
    expect(() => emitter.to('run:1').emit('token', { text: 'x' })).toThrow(EmitError)
    now += 1001
    expect(emitter.stats().endedTopics).toBe(0)
    emitter.to('run:1').emit('token', { text: 'again' })
    const stream = await openStream(`${url}?topic=run:1&replay=1`)
    expect(texts([await stream.next()])).toEqual(['again'])
    stream.close()
  })

  it('an end emitted while a replay is being written reaches the stream exactly once', async () => {
    // A small buffer makes the replay go page by page, waiting for the socket.
    const { emitter, url } = await setup({
      history: { maxEvents: 6000 },
      maxBufferBytes: 65_536,
    })
    // More than the socket buffers hold, so the replay is still going when the end comes.
    const big = 'x'.repeat(2000)
    for (let i = 0; i < 5000; i++) emitter.to('run:1').emit('token', { text: `${i}:${big}` })
    const first = emitter.stats().headId.replace(/-\d+$/, '-0')
    const stream = await openStream(`${url}?topic=run:1`, { 'Last-Event-ID': first })
    stream.response.pause()
    await until(() => emitter.stats().connections === 1)
    for (let i = 5000; i < 5010; i++) emitter.to('run:1').emit('token', { text: `${i}:${big}` })
    emitter.to('run:1').end()
    stream.response.resume()
    const got = await drain(stream)
    const seen = texts(got).map((t) => Number(t.split(':')[0]))
    expect(seen).toEqual(Array.from({ length: 5010 }, (_, i) => i))
    expect(names(got).filter((n) => n === END_EVENT)).toHaveLength(1)
    expect(got.at(-1)!.event).toBe(END_EVENT)
  })

  it('reconnects racing the end each get every event and the end exactly once', async () => {
    const { emitter, url } = await setup({ history: { maxEvents: 5000 } })
    const ids: string[] = []
    for (let i = 0; i < 50; i++) ids.push(emitter.to('run:1').emit('token', { text: `${i}` }))
    // Reconnects from every point, opened around the end: some before, some after it.
    const streams = []
    for (let i = 0; i < 10; i++) {
      streams.push(openStream(`${url}?topic=run:1`, { 'Last-Event-ID': ids[i * 5]! }))
      if (i === 5) emitter.to('run:1').end()
    }
    const results = await Promise.all(
      streams.map(async (pending, i) => {
        const stream = await pending
        if (stream.status === 204) return { i, got: [] as ParsedEvent[] }
        return { i, got: await drain(stream) }
      }),
    )
    for (const { i, got } of results) {
      const seen = texts(got).map(Number)
      expect(seen).toEqual(Array.from({ length: 49 - i * 5 }, (_, k) => i * 5 + 1 + k))
      expect(names(got).filter((n) => n === END_EVENT)).toHaveLength(1)
    }
  })
})

describe('streams that end, seen by a plain EventSource and a WebSocket', () => {
  const cleanup: (() => unknown)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  /** Streams on GET and WebSockets on upgrade, counting the stream requests. */
  async function serve(emitter: Emitter<Events>) {
    const requests: { lastEventId: string | undefined; status: number }[] = []
    const server = http.createServer((req, res) => {
      const seen = { lastEventId: req.headers['last-event-id'] as string | undefined, status: 0 }
      requests.push(seen)
      res.on('finish', () => {
        seen.status = res.statusCode
      })
      void emitter.handle(req, res).then(() => {
        seen.status = res.statusCode
      })
    })
    server.on('upgrade', (req, socket, head) => void emitter.upgrade(req, socket, head))
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
    return { requests, url: `http://127.0.0.1:${port}/events`, ws: `ws://127.0.0.1:${port}/events` }
  }

  it('an EventSource gets the end, reconnects once, is answered 204 and stops', async () => {
    const emitter = createEmitter(events, { retryMs: 20, heartbeatMs: 60_000 })
    const { requests, url } = await serve(emitter)
    const source = new EventSource(`${url}?topic=run:1`)
    cleanup.push(() => source.close())
    const got: string[] = []
    source.addEventListener('token', (e) => got.push(JSON.parse(e.data).text))
    source.addEventListener(END_EVENT, (e) => got.push(`end:${JSON.parse(e.data).reason}`))
    await until(() => emitter.stats().connections === 1, 'the EventSource')
    emitter.to('run:1').emit('token', { text: 'a' })
    emitter.to('run:1').end()
    await until(() => source.readyState === EventSource.CLOSED, 'the EventSource to stop')
    expect(got).toEqual(['a', 'end:complete'])
    // The first request streamed; the reconnect, from the end's id, got 204: no loop.
    await until(() => requests.every((r) => r.status !== 0), 'answers')
    expect(requests.map((r) => r.status)).toEqual([200, 204])
    expect(requests[1]!.lastEventId).toBe(emitter.stats().headId)
    expect(emitter.stats().endedReplies).toBe(1)
  })

  it('a WebSocket gets the end and is closed with 4204 "ended"; a late one too', async () => {
    const emitter = createEmitter(events, { heartbeatMs: 60_000 })
    const { ws } = await serve(emitter)
    const open = (query: string) => {
      const socket = new WebSocket(`${ws}${query}`)
      const blocks: string[] = []
      let closed: { code: number; reason: string } | undefined
      socket.on('message', (data: Buffer) => blocks.push(data.toString()))
      socket.on('close', (code: number, reason: Buffer) => {
        closed = { code, reason: reason.toString() }
      })
      socket.on('error', () => {})
      cleanup.push(() => socket.terminate())
      return { blocks, closed: () => closed }
    }
    const live = open('?topic=run:1')
    await until(() => emitter.stats().connections === 1, 'the socket')
    emitter.to('run:1').emit('token', { text: 'a' })
    emitter.to('run:1').end()
    await until(() => live.closed() !== undefined, 'the close')
    expect(live.closed()).toEqual({ code: 4204, reason: 'ended' })
    expect(live.blocks.join('')).toContain(`event:${END_EVENT}`)
    const late = open('?topic=run:1&replay=5')
    await until(() => late.closed() !== undefined, 'the late close')
    expect(late.closed()).toEqual({ code: 4204, reason: 'ended' })
    const text = late.blocks.join('')
    expect(text.indexOf('event:token')).toBeLessThan(text.indexOf(`event:${END_EVENT}`))
    const after = open(`?topic=run:1&lastEventId=${emitter.stats().headId}`)
    await until(() => after.closed() !== undefined, 'the close of a reconnect after the end')
    expect(after.closed()).toEqual({ code: 4204, reason: 'ended' })
    expect(after.blocks).toEqual([])
  })
})
