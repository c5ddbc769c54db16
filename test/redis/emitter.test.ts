import { createRedisStore } from '@tidings/redis'
import { defineEvents, type ParsedEvent } from '@tidings/schema'
import { createEmitter, type Emitter, StoreError } from '@tidings/server'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openStream, type Served, serveEmitter, until } from '../server/support.js'
import { startRedis, type TestRedis } from '../support/redis.js'

const events = defineEvents({
  tick: z.object({ n: z.number() }),
})

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const ids = (list: ParsedEvent[]) => list.map((event) => event.id)
const ns = (list: ParsedEvent[]) => list.map((event) => JSON.parse(event.data).n as number)

describe('emitters sharing a Redis store', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })
  let prefixes = 0

  /** A "process": an emitter on its own Redis connection and HTTP server. */
  async function node(
    prefix: string,
    options: { window?: number; redisPort?: number; reported?: unknown[] } = {},
  ): Promise<{
    emitter: Emitter<typeof events, undefined, Promise<string>>
    served: Served
    client: Redis
  }> {
    const client = new Redis(options.redisPort ?? redis.port, '127.0.0.1', {
      retryStrategy: () => 50,
    })
    client.on('error', () => {})
    const emitter = createEmitter(events, {
      store: createRedisStore({ redis: client, prefix, blockMs: 200, commandTimeoutMs: 1000 }),
      history: { maxEvents: options.window ?? 1000 },
      onError: (error) => options.reported?.push(error),
    })
    const served = await serveEmitter('node', emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
      client.disconnect()
    })
    return { emitter, served, client }
  }

  it('delivers an event emitted on one process to the streams of every process, with one id', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix)
    const b = await node(prefix)
    const onA = await openStream(`${a.served.url}/events?topic=room`)
    const onB = await openStream(`${b.served.url}/events?topic=room`)
    const id = await a.emitter.to('room').emit('tick', { n: 1 })
    await b.emitter.emit('tick', { n: 2 })
    const [fromA, fromB] = [await onA.take(2), await onB.take(2)]
    expect(ids(fromA)).toEqual(ids(fromB))
    expect(fromA[0]?.id).toBe(id)
    expect(ns(fromB)).toEqual([1, 2])
    onA.close()
    onB.close()
  })

  it('resumes on another process from an id the first one handed out, across the local window into Redis', async () => {
    const prefix = `p${++prefixes}`
    // A window of 10: a resume 300 events back pages through Redis first.
    const a = await node(prefix, { window: 10 })
    const b = await node(prefix, { window: 10 })
    const first = await openStream(`${a.served.url}/events`)
    for (let n = 1; n <= 300; n++) await a.emitter.emit('tick', { n })
    const seen = await first.take(5)
    first.close()
    const resumeFrom = seen[4]!.id!
    // Emits keep coming while the resume reads Redis: the replay must meet them exactly.
    let n = 300
    const timer = setInterval(() => void a.emitter.emit('tick', { n: ++n }), 2)
    const resumed = await openStream(`${b.served.url}/events`, { 'Last-Event-ID': resumeFrom })
    await new Promise((resolve) => setTimeout(resolve, 100))
    clearInterval(timer)
    await until(() => n > 300, 'live emits')
    const total = n
    const rest = await resumed.take(total - 5)
    expect(ns(rest)).toEqual(Array.from({ length: total - 5 }, (_, i) => i + 6))
    expect(b.emitter.stats().replays).toBe(1)
    resumed.close()
  })

  it('resumes on a topic across a stretch of Redis that holds none of its events', async () => {
    const prefix = `p${++prefixes}`
    const a = await node(prefix, { window: 10 })
    const from = await a.emitter.to('room:1').emit('tick', { n: 0 })
    // More than the largest store read (1000 events) of other topics: a read
    // that matched nothing once left the cursor where it was, and read again.
    for (let i = 0; i < 11; i++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, n) => a.emitter.to('room:2').emit('tick', { n })),
      )
    }
    const b = await node(prefix, { window: 10 })
    const resumed = await openStream(`${b.served.url}/events?topic=room:1`, {
      'Last-Event-ID': from,
    })
    const next = await a.emitter.to('room:1').emit('tick', { n: 1 })
    const [got] = await resumed.take(1)
    expect(got?.id).toBe(next)
    expect(ns([got!])).toEqual([1])
    resumed.close()
  })

  it('gives a gap, never a wrong resume, for an id Redis trimmed, an id of another epoch, or a garbage id', async () => {
    const prefix = `p${++prefixes}`
    const client = new Redis(redis.port, '127.0.0.1')
    const emitter = createEmitter(events, {
      store: createRedisStore({ redis: client, prefix, maxEvents: 20, blockMs: 200 }),
      history: { maxEvents: 5 },
    })
    const served = await serveEmitter('node', emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
      client.disconnect()
    })
    const firstId = await emitter.emit('tick', { n: 0 })
    for (let n = 1; n < 400; n++) await emitter.emit('tick', { n })
    for (const [lastEventId, reason] of [
      [firstId, 'expired'],
      [`zzzz-${firstId.split('-')[1]}`, 'other-epoch'],
      ['not-an-id', 'malformed'],
    ] as const) {
      const stream = await openStream(`${served.url}/events`, { 'Last-Event-ID': lastEventId })
      const gap = await stream.next()
      expect(gap.event).toBe('tidings:gap')
      expect(JSON.parse(gap.data).reason).toBe(reason)
      stream.close()
    }
  })

  it('keeps streams open while Redis is down, rejects emits with a typed error, then tells streams of the lost history', async () => {
    const own = await startRedis()
    cleanup.push(() => own.stop())
    const reported: unknown[] = []
    const a = await node('outage', { redisPort: own.port, reported })
    const stream = await openStream(`${a.served.url}/events`)
    await a.emitter.emit('tick', { n: 1 })
    expect(ns([await stream.next()])).toEqual([1])
    await own.kill()
    await until(() => a.client.status !== 'ready', 'the client to notice')
    const failure = await a.emitter.emit('tick', { n: 2 }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(StoreError)
    expect(a.emitter.stats().connections).toBe(1)
    await own.restart()
    await until(() => a.client.status === 'ready', 'reconnection')
    // An empty Redis came back: a new epoch. The stream is told, then goes on.
    await a.emitter.emit('tick', { n: 3 })
    const gap = await stream.next()
    expect(gap.event).toBe('tidings:gap')
    expect(JSON.parse(gap.data).reason).toBe('reset')
    const next = await stream.next()
    expect(ns([next])).toEqual([3])
    expect(next.id?.split('-')[0]).toBe(gap.id?.split('-')[0])
    expect(reported.some((error) => error instanceof StoreError)).toBe(true)
    stream.close()
  })

  it('answers 503 with Retry-After while the store has not opened yet', async () => {
    const own = await startRedis()
    await own.kill()
    cleanup.push(() => own.stop())
    const client = new Redis(own.port, '127.0.0.1', { retryStrategy: () => 50 })
    client.on('error', () => {})
    const emitter = createEmitter(events, {
      store: createRedisStore({ redis: client, blockMs: 200, commandTimeoutMs: 200 }),
    })
    const served = await serveEmitter('node', emitter)
    cleanup.push(async () => {
      await emitter.close()
      await served.close()
      client.disconnect()
    })
    const refused = await openStream(`${served.url}/events`)
    expect(refused.status).toBe(503)
    refused.close()
    await own.restart()
    await until(() => emitter.stats().headId.split('-')[1] !== '0', 'the store to open', 4000)
    const stream = await openStream(`${served.url}/events`)
    expect(stream.status).toBe(200)
    stream.close()
  })
})
