import { END_EVENT } from '@tidings/schema'
import {
  EmitError,
  type EventFeed,
  type EventStore,
  type StoredEvent,
  StoreError,
} from '@tidings/server'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startRedis, type TestRedis } from '../../../test/support/redis.js'
import { createRedisStore, type RedisStoreOptions } from './create-redis-store.js'
import { APPEND, script } from './scripts.js'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

/** What a feed received: batches per epoch, errors. */
function recorder(endedMaxAgeMs = 60_000) {
  const events: (StoredEvent & { epoch: string })[] = []
  const errors: unknown[] = []
  const feed: EventFeed = {
    events: (epoch, batch) => {
      for (const event of batch) events.push({ ...event, epoch })
    },
    error: (error) => errors.push(error),
    endedMaxAgeMs,
  }
  return { feed, events, errors }
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** An app's client: it listens for errors (ioredis logs every reconnection attempt otherwise). */
const quiet = (client: Redis) => {
  client.on('error', () => {})
  return client
}

const event = (n: number, topics?: string[]) => ({
  event: 'tick',
  data: `{"n":${n}}`,
  topics,
  at: Date.now(),
})

const end = (topic: string, reason: string) => ({
  event: END_EVENT,
  data: JSON.stringify({ topic, reason }),
  topics: [topic],
  at: Date.now(),
})

describe('createRedisStore', () => {
  const opened: { store: EventStore; client: Redis }[] = []
  let prefix = 0
  const open = (options: Partial<RedisStoreOptions> = {}, name = `t${++prefix}`) => {
    const client = quiet(new Redis(redis.port, '127.0.0.1'))
    const store = createRedisStore({ redis: client, prefix: name, blockMs: 200, ...options })
    opened.push({ store, client })
    return { store, client, name }
  }
  afterEach(async () => {
    for (const { store, client } of opened.splice(0)) {
      await store.close()
      client.disconnect()
    }
  })

  it('appends in one order that every process reads, each event exactly once', async () => {
    const a = open({}, 'shared-1')
    const b = open({}, 'shared-1')
    const ra = recorder()
    const rb = recorder()
    const start = await a.store.open(ra.feed)
    await b.store.open(rb.feed)
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, n) => (n % 2 ? a : b).store.append(event(n, ['t']))),
    )
    // Consecutive seqs after the head the store started from, one epoch.
    const seqs = ids.map((id) => id.seq).sort((x, y) => x - y)
    expect(seqs[0]).toBe(start.seq + 1)
    expect(seqs.at(-1)).toBe(start.seq + 200)
    expect(new Set(ids.map((id) => id.epoch))).toEqual(new Set([start.epoch]))
    await until(() => ra.events.length === 200 && rb.events.length === 200, 'both feeds')
    expect(ra.events.map((e) => e.seq)).toEqual(seqs)
    expect(rb.events.map((e) => [e.seq, e.data])).toEqual(ra.events.map((e) => [e.seq, e.data]))
    expect(ra.events[0]).toMatchObject({ event: 'tick', topics: ['t'], epoch: start.epoch })
    expect(ra.errors).toEqual([])
  })

  it('appends the events of one turn in one script call, in order, with consecutive seqs', async () => {
    // Counts this store's append calls (Redis's counters are server-wide, and the reader may
    // read the head meanwhile).
    const appendScript = script(APPEND)
    const client = quiet(new Redis(redis.port, '127.0.0.1'))
    let scripts = 0
    const counted = new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target)
        if (key !== 'call') return typeof value === 'function' ? value.bind(target) : value
        return (...args: Parameters<Redis['call']>) => {
          if (args[1] === appendScript.sha || args[1] === appendScript.source) scripts++
          return target.call(...args)
        }
      },
    })
    const store = createRedisStore({ redis: counted, prefix: `t${++prefix}`, blockMs: 200 })
    opened.push({ store, client })
    const r = recorder()
    const start = await store.open(r.feed)
    // Redis learns the script on the first call (EVALSHA, then EVAL): count after it.
    const warm = await store.append(event(-1))
    expect(warm.seq).toBe(start.seq + 1)
    const before = scripts
    // 300 in one turn: two calls (at most 256 events each), not 300.
    const ids = await Promise.all(Array.from({ length: 300 }, (_, n) => store.append(event(n))))
    expect(scripts - before).toBe(2)
    expect(ids.map((id) => id.seq)).toEqual(Array.from({ length: 300 }, (_, n) => warm.seq + 1 + n))
    await until(() => r.events.length === 301, 'the feed')
    expect(r.events.map((e) => e.data)).toEqual(
      Array.from({ length: 301 }, (_, n) => `{"n":${n - 1}}`),
    )
  })

  it('refuses, in the append step, a second end and events to an ended topic, from any process', async () => {
    const a = open({}, 'ends-1')
    const b = open({}, 'ends-1')
    const ra = recorder()
    const start = await a.store.open(ra.feed)
    await b.store.open(recorder().feed)
    await a.store.append(event(0, ['run']))
    const ended = await a.store.append(end('run', 'complete'))
    // One turn on b, so one script call: its refusals must not shift the others' seqs.
    const results = await Promise.allSettled([
      b.store.append(end('run', 'cancelled')),
      b.store.append(event(1, ['run'])),
      b.store.append(event(2, ['other', 'run'])),
      b.store.append(event(3, ['other'])),
      b.store.append(event(4)),
      b.store.append(end('other', 'failed')),
      b.store.append(event(5, ['other'])),
    ])
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ])
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(EmitError)
        expect(result.reason).toMatchObject({ code: 'topic_ended' })
      } else expect(result.value.seq).toBeGreaterThan(ended.seq)
    }
    const seqs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []))
    expect(seqs).toEqual([ended.seq + 1, ended.seq + 2, ended.seq + 3])
    await until(() => ra.events.length === 5, 'the feed')
    expect(ra.events.map((e) => [e.event, e.data])).toEqual([
      ['tick', '{"n":0}'],
      [END_EVENT, '{"topic":"run","reason":"complete"}'],
      ['tick', '{"n":3}'],
      ['tick', '{"n":4}'],
      [END_EVENT, '{"topic":"other","reason":"failed"}'],
    ])
    // Any process can ask for the ends, in the epoch they belong to.
    const ends = await b.store.ends!(start.epoch, ['run', 'open', 'other'])
    expect(ends.map((e) => [e.seq, e.event, e.data, e.topics])).toEqual([
      [ended.seq, END_EVENT, '{"topic":"run","reason":"complete"}', ['run']],
      [ended.seq + 3, END_EVENT, '{"topic":"other","reason":"failed"}', ['other']],
    ])
    expect(ends[0]!.at).toBe(ra.events[1]!.at)
    expect(await b.store.ends!('another-epoch', ['run'])).toEqual([])
    // The marker lives as long as the emitter remembers ends (`ended.maxAgeMs`).
    const ttl = Number(redis.cli('PTTL', '{ends-1}:end:run'))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('checks the ends of thousands of topics in one turn, and of one event to thousands', async () => {
    const { store } = open()
    const r = recorder()
    await store.open(r.feed)
    const ended = await store.append(end('t:7', 'complete'))
    // 300 events to 500 topics each in one turn: more keys than one call's
    // arguments can hold; then one event to more keys than a Lua unpack takes.
    const wide = Array.from({ length: 300 }, (_, n) =>
      Array.from({ length: 500 }, (_, k) => `t:${n * 500 + k}`),
    )
    const many = Array.from({ length: 9000 }, (_, k) => `u:${k}`)
    const results = await Promise.allSettled([
      ...wide.map((topics, n) => store.append(event(n, topics))),
      store.append(event(-1, many)),
    ])
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'topic_ended' } })
    const seqs = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value.seq] : [],
    )
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, n) => ended.seq + 1 + n))
    await until(() => r.events.length === 301, 'the feed')
  })

  it("forgets an end after the emitter's ended.maxAgeMs: the topic takes events again", async () => {
    const { store, name } = open()
    await store.open(recorder(50).feed)
    const ended = await store.append(end('run', 'complete'))
    await expect(store.append(event(1, ['run']))).rejects.toBeInstanceOf(EmitError)
    await until(() => redis.cli('EXISTS', `{${name}}:end:run`) === '0', 'the marker to expire')
    expect(await store.ends!(ended.epoch, ['run'])).toEqual([])
    expect((await store.append(event(2, ['run']))).seq).toBe(ended.seq + 1)
  })

  it('starts an epoch at a time-derived seq, so a new history is always above an old cursor', async () => {
    const { store } = open()
    const start = await store.open(recorder().feed)
    // Microseconds since 1970: well above 1e15 today, and a safe integer.
    expect(start.seq).toBeGreaterThan(1e15)
    expect(Number.isSafeInteger(start.seq + 1_000_000)).toBe(true)
  })

  it('reads after a seq, and says why it cannot: other epoch, expired, unknown', async () => {
    const { store } = open({ maxEvents: 10 })
    const start = await store.open(recorder().feed)
    for (let n = 0; n < 5; n++) await store.append(event(n))
    const page = await store.read(start.epoch, start.seq + 1, 2)
    expect(page.kind === 'events' && page.events.map((e) => e.seq - start.seq)).toEqual([2, 3])
    expect(await store.read(start.epoch, start.seq + 5, 10)).toEqual({ kind: 'events', events: [] })
    expect(await store.read(start.epoch, start.seq + 9, 10)).toEqual({
      kind: 'gap',
      reason: 'unknown',
    })
    expect(await store.read('someotherepoch', start.seq, 10)).toEqual({
      kind: 'gap',
      reason: 'other-epoch',
    })
    // MAXLEN ~ trims whole nodes: append well past it, then the start is gone.
    for (let n = 0; n < 500; n++) await store.append(event(n))
    expect(await store.read(start.epoch, start.seq, 10)).toEqual({
      kind: 'gap',
      reason: 'expired',
    })
  })

  it('reads each whole page once for the resumes that cross it together', async () => {
    const { store, client } = open({ maxEvents: 100_000 })
    const start = await store.open(recorder().feed)
    for (let n = 0; n < 5000; n += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, i) => store.append(event(n + i))))
    }
    const calls = vi.spyOn(client, 'call')
    // Ten resumes a few events apart, each reading 3000 events by reads of up to
    // 1000, as a stream start does: without sharing, some 35 XRANGEs.
    const walk = async (from: number): Promise<number[]> => {
      const seen: number[] = []
      let cursor = from
      while (cursor < from + 3000) {
        const page = await store.read(start.epoch, cursor, 1000)
        if (page.kind !== 'events' || page.events.length === 0) throw new Error(page.kind)
        for (const e of page.events) seen.push(e.seq)
        cursor = page.events.at(-1)!.seq
      }
      return seen
    }
    const froms = Array.from({ length: 10 }, (_, i) => start.seq + i * 7)
    const walks = await Promise.all(froms.map(walk))
    for (const [i, seen] of walks.entries()) {
      expect(seen.slice(0, 3000)).toEqual(Array.from({ length: 3000 }, (_, k) => froms[i]! + k + 1))
    }
    const xranges = calls.mock.calls.filter(([command]) => command === 'XRANGE').length
    // The pages the walks cross (4 or 5, by where the seqs fall), each read once.
    expect(xranges).toBeLessThanOrEqual(5)
  })

  it('treats an event older than maxAgeMs as expired when reading', async () => {
    const { store } = open({ maxAgeMs: 1 })
    const start = await store.open(recorder().feed)
    await store.append({ ...event(1), at: Date.now() - 1000 })
    expect(await store.read(start.epoch, start.seq, 10)).toEqual({
      kind: 'gap',
      reason: 'expired',
    })
  })

  it('detects a flushed Redis: the next event comes under a new epoch, above the cursor', async () => {
    const { store } = open()
    const feed = recorder()
    const start = await store.open(feed.feed)
    await store.append(event(1))
    await until(() => feed.events.length === 1, 'first event')
    redis.cli('FLUSHALL')
    const after = await store.append(event(2))
    expect(after.epoch).not.toBe(start.epoch)
    expect(after.seq).toBeGreaterThan(start.seq + 1)
    await until(() => feed.events.length === 2, 'event of the new epoch')
    expect(feed.events[1]).toMatchObject({ epoch: after.epoch, seq: after.seq })
  })

  it('rejects emits at once while Redis is down, keeps reading after it is back, and never loses its cursor', async () => {
    const own = await startRedis()
    try {
      const client = quiet(new Redis(own.port, '127.0.0.1', { retryStrategy: () => 50 }))
      const store = createRedisStore({ redis: client, blockMs: 200, commandTimeoutMs: 1000 })
      opened.push({ store, client })
      const feed = recorder()
      await store.open(feed.feed)
      await store.append(event(1))
      await until(() => feed.events.length === 1, 'first event')
      await own.kill()
      await until(() => client.status !== 'ready', 'client to notice')
      const failure = await store.append(event(2)).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(StoreError)
      expect((failure as StoreError).code).toBe('unavailable')
      await until(() => feed.errors.length > 0, 'the reader to report')
      expect(feed.errors[0]).toBeInstanceOf(StoreError)
      await own.restart()
      await until(() => client.status === 'ready', 'reconnection')
      // An empty Redis: a new epoch, above the old cursor, which the reader follows.
      const third = await store.append(event(3))
      await until(() => feed.events.length === 2, 'event after the restart')
      expect(feed.events[1]).toMatchObject({ seq: third.seq, epoch: third.epoch })
      // One report for the outage, not one per retry.
      expect(feed.errors.length).toBeLessThanOrEqual(2)
    } finally {
      await own.stop()
    }
  })

  it('times out a command Redis does not answer, with a typed error', async () => {
    const own = await startRedis()
    try {
      const client = quiet(new Redis(own.port, '127.0.0.1'))
      const store = createRedisStore({ redis: client, blockMs: 100, commandTimeoutMs: 300 })
      opened.push({ store, client })
      await store.open(recorder().feed)
      own.pause()
      const failure = await store.append(event(1)).catch((error: unknown) => error)
      own.resume()
      expect((failure as StoreError).code).toBe('timeout')
    } finally {
      own.resume()
      await own.stop()
    }
  })

  it('starts a new epoch when Redis comes back older than what its reader saw (a restore)', async () => {
    const { store, name } = open()
    const feed = recorder()
    const start = await store.open(feed.feed)
    for (let n = 0; n < 5; n++) await store.append(event(n))
    await until(() => feed.events.length === 5, 'five events')
    // Play a restore from a copy taken after the second event: counter and stream rolled back.
    const keep = start.seq + 2
    redis.cli('SET', `{${name}}:seq`, String(keep))
    redis.cli('XTRIM', `{${name}}:stream`, 'MINID', `${keep + 1}-0`)
    for (let seq = keep + 1; seq <= start.seq + 5; seq++) {
      redis.cli('XDEL', `{${name}}:stream`, `${seq}-0`)
    }
    redis.cli('CLIENT', 'KILL', 'TYPE', 'normal')
    await until(() => feed.errors.length > 0, 'the reader to notice')
    // Once it is back, it starts a new epoch, so the old ids are never resumed from.
    await until(() => redis.cli('GET', `{${name}}:epoch`) !== start.epoch, 'a new epoch')
    const after = await store.append(event(9))
    expect(after.epoch).not.toBe(start.epoch)
    expect(after.seq).toBeGreaterThan(start.seq + 5)
    await until(() => feed.events.length === 6, 'the event of the new epoch')
    expect(feed.events[5]).toMatchObject({ epoch: after.epoch, seq: after.seq })
  })

  it('refuses impossible options with an error naming them', () => {
    const client = { call: () => Promise.resolve(), duplicate: () => client } as never
    expect(() => createRedisStore({ redis: client, maxEvents: 0 })).toThrow(/maxEvents/)
    expect(() => createRedisStore({ redis: client, prefix: 'a b' })).toThrow(/prefix/)
    expect(() => createRedisStore({ redis: {} as never })).toThrow(/ioredis client/)
  })
})
