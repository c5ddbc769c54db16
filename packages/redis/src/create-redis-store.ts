import { createEpoch } from '@tidings/schema'
import {
  EmitError,
  type EventFeed,
  type EventPosition,
  type EventStore,
  type NewEvent,
  OptionError,
  type StoredEvent,
  StoreError,
  type StoreReadResult,
} from '@tidings/server'
import { PAGE_SIZE, PageCache } from './page-cache.js'
import { type RedisClient, runScript, withTimeout } from './redis-client.js'
import { APPEND, HEAD, script } from './scripts.js'
import { entryArgs, parseEntry, parseMarker, type RawEntry } from './stream-entry.js'
import { StreamReader } from './stream-reader.js'

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * An `ioredis` client, used for appends and reads. The store opens one more
   * connection of its own (`redis.duplicate()`) for its blocking reader, and
   * closes only that one: the client stays yours.
   */
  redis: RedisClient
  /**
   * The prefix of the keys: `{<prefix>}:stream`, `{<prefix>}:seq`,
   * `{<prefix>}:epoch`, and one `{<prefix>}:end:<topic>` per ended topic (for
   * the emitter's `ended.maxAgeMs`). The braces put them in one Redis Cluster
   * slot. Emitters that share a prefix share one history.
   * @defaultValue 'tidings'
   */
  prefix?: string | undefined
  /**
   * About how many events the stream keeps (`XADD MAXLEN ~`): the reach of a
   * resume from Redis. Redis trims in whole nodes, so a few more may stay.
   * @defaultValue 10000
   */
  maxEvents?: number | undefined
  /**
   * How long an event stays replayable from Redis: a resume whose next event
   * is older gets a gap (`expired`), as with the memory history.
   * @defaultValue 86400000 (a day)
   */
  maxAgeMs?: number | undefined
  /**
   * How long an append or a read may take before it rejects with
   * `StoreError('timeout')`.
   * @defaultValue 5000
   */
  commandTimeoutMs?: number | undefined
  /**
   * How long the reader's `XREAD` blocks at most before it asks again.
   * @defaultValue 5000
   */
  blockMs?: number | undefined
  /**
   * The most entries the reader takes per `XREAD`.
   * @defaultValue 1000
   */
  readCount?: number | undefined
}

const whole = (
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(
      name,
      `createRedisStore: ${name} must be a whole number from ${min} to ${max}: got ${String(value)}.`,
    )
  }
  return value
}

const toNumber = (value: unknown): number => Number(typeof value === 'string' ? value : NaN)

/** The entries of an `XRANGE` reply, in order, up to the first of another epoch. */
const parseRange = (epoch: string, raw: unknown): StoredEvent[] => {
  const events: StoredEvent[] = []
  for (const entry of (raw ?? []) as RawEntry[]) {
    const event = parseEntry(entry)
    if (event === undefined || event.epoch !== epoch) break
    events.push(event)
  }
  return events
}

/** An append waiting for its turn's script call. */
interface Pending {
  readonly args: readonly string[]
  readonly topics: readonly string[] | undefined
  readonly resolve: (position: EventPosition) => void
  readonly reject: (error: unknown) => void
}

/** Why the script refused an event: a topic of it ended, on some process. */
const refusal = (topics: readonly string[] | undefined): EmitError =>
  new EmitError(
    'topic_ended',
    `${topics?.length === 1 ? `Topic "${topics[0]}"` : `A topic of ${JSON.stringify(topics)}`} ended (on this or another process): nothing can be emitted to it after end(). Use a new topic for a new stream.`,
  )

/** The most events one script call appends: bounds how long Redis runs it. */
const MAX_BATCH = 256

/**
 * The most topics (so end markers, each a key of the call) one script call
 * carries, short of one event that names more: keeps a call's key list far
 * below what a JavaScript call's arguments and a Lua `unpack` can hold.
 */
const MAX_BATCH_TOPICS = 4096

/**
 * An event store on Redis Streams, for `createEmitter(contract, { store })`:
 * every process that uses the same Redis (and prefix) shares one ordered
 * history, so an event emitted on any of them reaches the subscribers of all of
 * them, and a client resumes on whichever one it reconnects to.
 *
 * One stream holds the events; a Lua script appends them atomically with the
 * next seqs of a counter (the appends of one event-loop turn in one call, in
 * order), under the current epoch (stored in Redis: a flushed or
 * replaced Redis gets a new one, and clients get a gap instead of a wrong
 * resume). Each process runs one blocking `XREAD` on its own connection, whatever
 * its number of clients, and keeps recent events in its memory window, so a
 * short resume never waits on Redis.
 *
 * Emits while Redis is unreachable reject at once with `StoreError`
 * (`unavailable`); open streams stay open; the reader reconnects and resumes
 * from its own cursor, and streams get a gap event for whatever history was
 * lost meanwhile.
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { createEmitter } from '@tidings/server'
 * import { createRedisStore } from '@tidings/redis'
 *
 * const emitter = createEmitter(events, { store: createRedisStore({ redis: new Redis(process.env.REDIS_URL) }) })
 * await emitter.emit('server-time', { time: Date.now() }) // resolves with the id once stored
 */
export function createRedisStore(options: RedisStoreOptions): EventStore {
  const { redis } = options
  if (typeof redis?.call !== 'function' || typeof redis.duplicate !== 'function') {
    throw new OptionError(
      'redis',
      'createRedisStore: redis must be an ioredis client (new Redis(url) from the ioredis package).',
    )
  }
  const prefix = options.prefix ?? 'tidings'
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new OptionError(
      'prefix',
      `createRedisStore: prefix must be 1 to 64 characters of A-Z, a-z, 0-9, "_", ".", ":", "-": got ${JSON.stringify(prefix)}.`,
    )
  }
  const maxEvents = whole('maxEvents', options.maxEvents, 10_000, 1, 100_000_000)
  const maxAgeMs = whole('maxAgeMs', options.maxAgeMs, 86_400_000, 1, 365 * 86_400_000)
  const timeoutMs = whole('commandTimeoutMs', options.commandTimeoutMs, 5000, 1, 600_000)
  const blockMs = whole('blockMs', options.blockMs, 5000, 1, 600_000)
  const readCount = whole('readCount', options.readCount, 1000, 1, 100_000)
  const keys = {
    epoch: `{${prefix}}:epoch`,
    seq: `{${prefix}}:seq`,
    stream: `{${prefix}}:stream`,
    end: `{${prefix}}:end:`,
  } as const
  const scriptKeys = [keys.epoch, keys.seq, keys.stream]
  const append = script(APPEND)
  const head = script(HEAD)
  let reader: StreamReader | undefined
  const pages = new PageCache(async (epoch, index) => {
    const from = index * PAGE_SIZE
    const raw = await withTimeout(
      redis,
      redis.call('XRANGE', keys.stream, `${from}-0`, `${from + PAGE_SIZE - 1}-0`),
      timeoutMs,
      'a read',
    )
    const events = parseRange(epoch, raw)
    let bytes = 64
    for (const event of events) bytes += 64 + event.event.length + event.data.length
    return { events, bytes }
  })
  // How long end markers live: the emitter's `ended.maxAgeMs`, told by `open`
  // (its default until then, for a store used without an emitter).
  let endedMs = 86_400_000

  const position = (reply: unknown, what: string): EventPosition => {
    const [epoch, seq] = Array.isArray(reply) ? reply : []
    const value = toNumber(seq)
    if (typeof epoch !== 'string' || !Number.isSafeInteger(value)) {
      throw new StoreError('failed', `Redis answered ${what} with ${JSON.stringify(reply)}.`)
    }
    return { epoch, seq: value }
  }

  const readHead = async (): Promise<EventPosition> =>
    position(
      await withTimeout(
        redis,
        runScript(redis, head, scriptKeys, [createEpoch()]),
        timeoutMs,
        'the head',
      ),
      'the head',
    )

  // The appends of one event-loop turn go to Redis as one script call, in order.
  let batch: Pending[] = []
  let batchTopics = 0
  const flush = (): void => {
    if (batch.length === 0) return
    const sent = batch
    batch = []
    batchTopics = 0
    // The end markers of the batch's topics: declared as keys (Redis Cluster
    // requires it of a script), so the script checks and writes them in its step.
    const markers = new Set<string>()
    for (const pending of sent)
      for (const topic of pending.topics ?? []) markers.add(keys.end + topic)
    withTimeout(
      redis,
      runScript(
        redis,
        append,
        [...scriptKeys, ...markers],
        [createEpoch(), maxEvents, endedMs, keys.end, ...sent.flatMap((p) => p.args)],
      ),
      timeoutMs,
      'an append',
    )
      .then((reply) => {
        const first = position(reply, 'an append')
        const refused = new Set((reply as unknown[]).slice(2).map(Number))
        let seq = first.seq
        for (const [i, pending] of sent.entries()) {
          if (!refused.has(i)) pending.resolve({ epoch: first.epoch, seq: seq++ })
          else pending.reject(refusal(pending.topics))
        }
      })
      .catch((error: unknown) => {
        for (const pending of sent) pending.reject(error)
      })
  }

  return {
    async open(feed: EventFeed): Promise<EventPosition> {
      if (reader)
        throw new StoreError('failed', 'This Redis store is already open: create one per emitter.')
      const { endedMaxAgeMs } = feed
      if (endedMaxAgeMs !== undefined && Number.isFinite(endedMaxAgeMs) && endedMaxAgeMs > 0) {
        endedMs = Math.ceil(endedMaxAgeMs)
      }
      reader = new StreamReader({
        client: redis.duplicate(),
        keys,
        feed,
        blockMs,
        readCount,
        readHead,
      })
      return reader.start()
    },

    append(event: NewEvent): Promise<EventPosition> {
      // While ioredis reconnects it would queue the command: fail now instead,
      // so the caller hears of it at once. (Before the first connection,
      // commands wait for it, within the timeout.)
      if (redis.status === 'reconnecting' || redis.status === 'end' || redis.status === 'close') {
        return Promise.reject(
          new StoreError(
            'unavailable',
            `Redis is not reachable (${redis.status}): the event was not stored or sent.`,
          ),
        )
      }
      return new Promise((resolve, reject) => {
        if (batch.length === 0) queueMicrotask(flush)
        batch.push({ args: entryArgs(event), topics: event.topics, resolve, reject })
        batchTopics += event.topics?.length ?? 0
        if (batch.length >= MAX_BATCH || batchTopics >= MAX_BATCH_TOPICS) flush()
      })
    },

    async read(epoch: string, afterSeq: number, limit: number): Promise<StoreReadResult> {
      const [current, counter] = await withTimeout(
        redis,
        Promise.all([redis.call('GET', keys.epoch), redis.call('GET', keys.seq)]),
        timeoutMs,
        'a read',
      )
      if (current !== epoch) return { kind: 'gap', reason: 'other-epoch' }
      const headSeq = toNumber(counter)
      const index = Math.floor((afterSeq + 1) / PAGE_SIZE)
      // A page the head has passed is whole and shared; the head's own page is
      // still filling, so it is read as it is now.
      const all =
        (index + 1) * PAGE_SIZE - 1 <= headSeq
          ? (await pages.get(epoch, index)).events
          : parseRange(
              epoch,
              await withTimeout(
                redis,
                redis.call('XRANGE', keys.stream, `(${afterSeq}-0`, '+', 'COUNT', limit),
                timeoutMs,
                'a read',
              ),
            )
      const start = all.findIndex((event) => event.seq > afterSeq)
      const events = start === -1 ? [] : all.slice(start, start + limit)
      const first = events[0]
      if (first === undefined) {
        if (afterSeq > headSeq) return { kind: 'gap', reason: 'unknown' }
        if (afterSeq < headSeq) return { kind: 'gap', reason: 'expired' }
        return { kind: 'events', events: [] }
      }
      if (first.seq !== afterSeq + 1 || first.at < Date.now() - maxAgeMs) {
        return { kind: 'gap', reason: 'expired' }
      }
      return { kind: 'events', events }
    },

    async ends(epoch: string, topics: readonly string[]): Promise<readonly StoredEvent[]> {
      if (topics.length === 0) return []
      const markers = await withTimeout(
        redis,
        redis.call('MGET', ...topics.map((topic) => keys.end + topic)),
        timeoutMs,
        'the ends of topics',
      )
      const found: StoredEvent[] = []
      for (const [i, marker] of ((markers ?? []) as unknown[]).entries()) {
        const end = parseMarker(marker, topics[i]!)
        if (end?.epoch === epoch) found.push(end)
      }
      return found
    },

    async close(): Promise<void> {
      await reader?.stop()
    },
  }
}
