import { createRedisStore } from '@tidings/redis'
import { defineEvents, END_EVENT, type HistoryPage, type ParsedEvent } from '@tidings/schema'
import {
  createEmitter,
  EmitError,
  type Emitter,
  type EventStore,
  StoreError,
} from '@tidings/server'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { drain, openStream, request, type Served, serveEmitter, until } from '../server/support.js'
import { startRedis, type TestRedis } from '../support/redis.js'

const events = defineEvents({ token: z.object({ text: z.string() }) })

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const names = (list: readonly ParsedEvent[]) => list.map((e) => e.event)

describe('streams that end, on a shared Redis store', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })
  let prefixes = 0

  /** A "process": an emitter on its own Redis connection and HTTP server. */
  async function node(
    prefix: string,
    window = 1000,
    wrap: (store: EventStore) => EventStore = (store) => store,
  ): Promise<{ emitter: Emitter<typeof events, undefined, Promise<string>>; served: Served }> {
    const client = new Redis(redis.port, '127.0.0.1', { retryStrategy: () => 50 })
    client.on('error', () => {})
    const emitter = createEmitter(events, {
      store: wrap(createRedisStore({ redis: client, prefix: `ended${prefix}`, blockMs: 200 })),
      history: { maxEvents: window },
      heartbeatMs: 60_000,
    })
    const served = await serveEmitter('node', emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
      client.disconnect()
    })
    return { emitter, served }
  }

  it('an end on one process closes the streams of the other, which then refuses emits to it', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const b = await node(prefix)
    const onB = await openStream(`${b.served.url}/events?topic=run:1`)
    await until(() => b.emitter.stats().connections === 1)
    await a.emitter.to('run:1').emit('token', { text: 'a' })
    const ended = a.emitter.to('run:1').end('failed')
    expect(ended).toBeInstanceOf(Promise)
    // The ending process refuses emits at once, before the store answered.
    expect(() => a.emitter.to('run:1').emit('token', { text: 'x' })).toThrow(EmitError)
    await ended
    await a.emitter.to('run:1').end()
    const got = await drain(onB)
    expect(names(got)).toEqual(['token', END_EVENT])
    expect(JSON.parse(got[1]!.data)).toEqual({ topic: 'run:1', reason: 'failed' })
    await until(() => b.emitter.stats().endedTopics === 1, 'b to learn the end')
    expect(() => b.emitter.to('run:1').emit('token', { text: 'x' })).toThrow(/ended/)
    // A reconnect to b from the end: 204; a late resume gets the rest and the end.
    const reconnect = await request(`${b.served.url}/events?topic=run:1`, {
      headers: { 'Last-Event-ID': got[1]!.id! },
    })
    expect(reconnect.status).toBe(204)
    const late = await openStream(`${a.served.url}/events?topic=run:1`, {
      'Last-Event-ID': got[0]!.id!,
    })
    expect(names(await drain(late))).toEqual([END_EVENT])
  })

  it('a process that opened after the end learns it from Redis when a late client resumes there', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix, 5)
    const ids: string[] = []
    for (let i = 0; i < 20; i++)
      ids.push(await a.emitter.to('run:1').emit('token', { text: `${i}` }))
    await a.emitter.to('run:1').end()
    const c = await node(prefix, 5)
    const late = await openStream(`${c.served.url}/events?topic=run:1`, {
      'Last-Event-ID': ids[3]!,
    })
    const got = await drain(late)
    expect(got.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual(
      Array.from({ length: 16 }, (_, i) => `${i + 4}`),
    )
    expect(got.at(-1)!.event).toBe(END_EVENT)
    expect(c.emitter.stats().endedTopics).toBe(1)
  })

  /** The entries of the shared stream as [event name, topics]. */
  async function stored(prefix: string): Promise<[string, string][]> {
    const client = new Redis(redis.port, '127.0.0.1')
    try {
      const entries = (await client.xrange(`{ended${prefix}}:stream`, '-', '+')) as [
        string,
        string[],
      ][]
      return entries.map(([, fields]) => [
        fields[fields.indexOf('n') + 1]!,
        fields.includes('t') ? fields[fields.indexOf('t') + 1]! : '',
      ])
    } finally {
      client.disconnect()
    }
  }

  it('a process started after the end knows it from Redis: fresh streams, emits, reconnects and history reads', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const onA = await openStream(`${a.served.url}/events?topic=run:1`)
    await until(() => a.emitter.stats().connections === 1)
    for (let i = 0; i < 5; i++) await a.emitter.to('run:1').emit('token', { text: `${i}` })
    await a.emitter.to('run:1').end('cancelled')
    const endId = (await drain(onA)).at(-1)!.id!
    // Each of these processes opened after the end: its feed never carried it.
    const [c, d, e, f] = [
      await node(prefix),
      await node(prefix),
      await node(prefix),
      await node(prefix),
    ]
    // A fresh client with replay gets the end and is closed (the tokens are in
    // Redis, past c's window, which a fresh replay does not read).
    const got = await drain(await openStream(`${c.served.url}/events?topic=run:1&replay=10`))
    expect(names(got)).toEqual([END_EVENT])
    expect(got[0]!.id).toBe(endId)
    expect(JSON.parse(got[0]!.data)).toEqual({ topic: 'run:1', reason: 'cancelled' })
    // A reconnect that has the end: 204, as on the process that ended it.
    const reconnect = await request(`${d.served.url}/events?topic=run:1`, {
      headers: { 'Last-Event-ID': endId },
    })
    expect(reconnect.status).toBe(204)
    // An emit: refused by Redis, then at once, as on the process that ended it.
    const emitted = e.emitter.to('run:1').emit('token', { text: 'late' })
    await expect(emitted).rejects.toBeInstanceOf(EmitError)
    await expect(emitted).rejects.toMatchObject({ code: 'topic_ended' })
    expect(() => e.emitter.to('run:1').emit('token', { text: 'late' })).toThrow(EmitError)
    // Ending it again is a no-op.
    await f.emitter.to('run:1').end('failed')
    expect(f.emitter.stats().endedTopics).toBe(1)
    const page = (await (
      await fetch(`${f.served.url}/events?topic=run:1`, { headers: { Accept: 'application/json' } })
    ).json()) as HistoryPage
    expect(page.ended).toBe(true)
    expect(page.events.map((event) => event.id)).toEqual([endId])
    expect((await stored(prefix)).filter(([name]) => name === END_EVENT)).toHaveLength(1)
  })

  it('answers 503 with Retry-After when the store cannot say whether a topic ended', async () => {
    const prefix = `p${++prefixes}`
    const reported: unknown[] = []
    const c = await node(prefix, 1000, (store) => ({
      ...store,
      ends: async () => {
        reported.push('asked')
        throw new StoreError('unavailable', 'Redis is not reachable (test).')
      },
    }))
    const refused = await request(`${c.served.url}/events?topic=run:1`)
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'unavailable' } })
    // A broadcast-only stream asks nothing.
    const broadcast = await openStream(`${c.served.url}/events`)
    expect(broadcast.status).toBe(200)
    broadcast.close()
    expect(reported).toEqual(['asked'])
  })

  it('two processes ending a topic at once store one end; every stream gets it once', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const b = await node(prefix)
    const onA = await openStream(`${a.served.url}/events?topic=run:1`)
    const onB = await openStream(`${b.served.url}/events?topic=run:1`)
    await until(() => a.emitter.stats().connections === 1 && b.emitter.stats().connections === 1)
    await a.emitter.to('run:1').emit('token', { text: '0' })
    await Promise.all([
      a.emitter.to('run:1').end('complete'),
      b.emitter.to('run:1').end('cancelled'),
    ])
    const [gotA, gotB] = [await drain(onA), await drain(onB)]
    expect(names(gotA)).toEqual(['token', END_EVENT])
    expect(gotB.map((event) => [event.id, event.data])).toEqual(
      gotA.map((event) => [event.id, event.data]),
    )
    expect(await stored(prefix)).toEqual([
      ['token', 'run:1'],
      [END_EVENT, 'run:1'],
    ])
  })

  it('an emit racing an end on another process is stored before the end or refused, never after it', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const b = await node(prefix)
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const [ended, emitted] = await Promise.allSettled([
          a.emitter.to(`run:${i}`).end(),
          (async () => b.emitter.to(`run:${i}`).emit('token', { text: `${i}` }))(),
        ])
        expect(ended.status).toBe('fulfilled')
        if (emitted.status === 'rejected') {
          expect(emitted.reason).toMatchObject({ name: 'EmitError', code: 'topic_ended' })
        }
        return emitted.status
      }),
    )
    const entries = await stored(prefix)
    for (let i = 0; i < 20; i++) {
      const topic = entries.filter(([, t]) => t === `run:${i}`).map(([name]) => name)
      expect(topic).toEqual(outcomes[i] === 'fulfilled' ? ['token', END_EVENT] : [END_EVENT])
    }
  })

  it('a late resume on Redis reads up to the end of its topics, not on through the rest of the stream', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const ids: string[] = []
    for (let i = 0; i < 20; i++)
      ids.push(await a.emitter.to('run:1').emit('token', { text: `${i}` }))
    await a.emitter.to('run:1').end()
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => a.emitter.to('run:2').emit('token', { text: `${i}` })),
    )
    let read = 0
    const c = await node(prefix, 10, (store) => ({
      ...store,
      read: async (epoch, afterSeq, limit) => {
        const result = await store.read(epoch, afterSeq, limit)
        if (result.kind === 'events') read += result.events.length
        return result
      },
    }))
    const got = await drain(
      await openStream(`${c.served.url}/events?topic=run:1`, { 'Last-Event-ID': ids[3]! }),
    )
    expect(got.filter((e) => e.event === 'token').map((e) => JSON.parse(e.data).text)).toEqual(
      Array.from({ length: 16 }, (_, i) => `${i + 4}`),
    )
    expect(got.at(-1)!.event).toBe(END_EVENT)
    // One store read (64 events) reaches the end; without the bound the stream
    // read on through the 500 events of run:2.
    expect(read).toBeLessThan(200)
  })

  it('an end a resume read from Redis ahead of the feed still reaches the live streams', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    // b's feed is held back, as when its reader lags behind Redis.
    let held: (() => void)[] | undefined
    const b = await node(prefix, 1000, (store) => ({
      ...store,
      open: (feed) =>
        store.open({
          ...feed,
          events: (epoch, batch) => {
            if (held) held.push(() => feed.events(epoch, batch))
            else feed.events(epoch, batch)
          },
        }),
    }))
    const live = await openStream(`${b.served.url}/events?topic=run:1`)
    await until(() => b.emitter.stats().connections === 1)
    held = []
    const tokenId = await a.emitter.to('run:1').emit('token', { text: '0' })
    await a.emitter.to('run:1').end()
    // A client that got the token from a resumes on b: it reads the end from Redis.
    const resumed = await drain(
      await openStream(`${b.served.url}/events?topic=run:1`, { 'Last-Event-ID': tokenId }),
    )
    expect(names(resumed)).toEqual([END_EVENT])
    for (const deliver of held.splice(0)) deliver()
    held = undefined
    expect(names(await drain(live))).toEqual(['token', END_EVENT])
  })

  it('resumes racing an end on another process each get every event and the end exactly once', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const b = await node(prefix, 10)
    const ids: string[] = []
    for (let i = 0; i < 40; i++)
      ids.push(await a.emitter.to('run:1').emit('token', { text: `${i}` }))
    // Resumes on b from every 4th id (some from Redis, past b's window of 10), opened
    // while a ends the topic.
    const streams: Promise<Awaited<ReturnType<typeof openStream>>>[] = []
    let ended: Promise<void> | undefined
    for (let i = 0; i < 10; i++) {
      streams.push(
        openStream(`${b.served.url}/events?topic=run:1`, { 'Last-Event-ID': ids[i * 4]! }),
      )
      if (i === 4) ended = a.emitter.to('run:1').end()
    }
    await ended
    const results = await Promise.all(
      streams.map(async (pending) => {
        const stream = await pending
        return stream.status === 204 ? [] : drain(stream)
      }),
    )
    results.forEach((got, i) => {
      const seen = got
        .filter((e) => e.event === 'token')
        .map((e) => Number(JSON.parse(e.data).text))
      expect(seen).toEqual(Array.from({ length: 39 - i * 4 }, (_, k) => i * 4 + 1 + k))
      expect(names(got).filter((n) => n === END_EVENT)).toHaveLength(1)
      expect(got.at(-1)!.event).toBe(END_EVENT)
    })
  })

  it('the JSON history pages through Redis past the local window, to the end', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix, 10)
    const firstId = await a.emitter.to('run:1').emit('token', { text: '0' })
    for (let i = 1; i < 250; i++) await a.emitter.to('run:1').emit('token', { text: `${i}` })
    await a.emitter.to('run:1').end()
    await until(() => a.emitter.stats().endedTopics === 1)
    const first = await fetch(`${a.served.url}/events?topic=run:1&limit=100`, {
      headers: { Accept: 'application/json' },
    })
    const page1 = (await first.json()) as HistoryPage
    // Without `after`, a page starts at the oldest event of the local window.
    expect(page1.events.length).toBeGreaterThan(0)
    const all: string[] = []
    // From right before the first event: its seq minus one, in the same epoch.
    const [epoch, seq] = [firstId.slice(0, firstId.lastIndexOf('-')), firstId.split('-').at(-1)]
    let after = `${epoch}-${Number(seq) - 1}`
    for (let i = 0; i < 10; i++) {
      const response = await fetch(
        `${a.served.url}/events?topic=run:1&limit=100&after=${encodeURIComponent(after)}`,
        { headers: { Accept: 'application/json' } },
      )
      const page = (await response.json()) as HistoryPage
      expect(page.gap).toBeNull()
      for (const event of page.events)
        all.push(event.event === END_EVENT ? 'end' : (event.data as { text: string }).text)
      if (page.last) {
        expect(page.ended).toBe(true)
        break
      }
      after = page.next
    }
    expect(all).toEqual([...Array.from({ length: 250 }, (_, i) => `${i}`), 'end'])
  })
})
