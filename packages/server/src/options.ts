import type { GapReason } from '@tidings/schema'
import type { DisconnectReason } from './connection.js'
import type { CorsOptions } from './cors.js'
import type { EndedTopicsOptions } from './ended-topics.js'
import { type HttpErrorCode, OptionError } from './errors.js'
import type { MemoryHistoryOptions } from './memory-history.js'
import type { EmitterRequest } from './request.js'
import type { EventStore } from './store.js'

/** Who a stream belongs to and what it receives, as the lifecycle hooks see it. */
export interface ConnectionInfo<TPrincipal = unknown> {
  /** A process-unique id for the stream (for logs; not an event id). */
  readonly id: string
  /** What `authorize` returned (`undefined` without `authorize`). */
  readonly principal: TPrincipal
  /** The topics it subscribed to, sorted. */
  readonly topics: readonly string[]
}

/** {@link ConnectionInfo} plus why the stream ended. */
export interface DisconnectInfo<TPrincipal = unknown> extends ConnectionInfo<TPrincipal> {
  readonly reason: DisconnectReason
}

/**
 * Options of `createEmitter`. Every one is optional; the defaults suit a single
 * process serving browsers.
 */
export interface EmitterOptions<TPrincipal = undefined> {
  /**
   * The limits of the in-memory history: every event this process can replay at
   * once. With a shared `store`, it is the local window of recent events that
   * serves the common resume (a few seconds back) without asking the store.
   * @defaultValue `{ maxEvents: 1000, maxAgeMs: 300000 }`
   */
  history?: MemoryHistoryOptions | undefined
  /**
   * A shared event store, such as `createRedisStore` from `@tidings/redis`:
   * events emitted on any process reach the subscribers of every process, and
   * a client resumes on any of them. With a store, `emit` returns a promise of
   * the id (the store assigns it) and rejects with a `StoreError` when the
   * store cannot take the event.
   * @defaultValue none: the history lives in this process's memory
   */
  store?: EventStore | undefined
  /**
   * What the server remembers of topics ended with `emitter.to(topic).end()`,
   * longer than the events before the end: see {@link EndedTopicsOptions}.
   * @defaultValue `{ maxAgeMs: 86400000, maxTopics: 100000 }`
   */
  ended?: EndedTopicsOptions | undefined
  /**
   * How often every stream gets a heartbeat comment, in milliseconds. Announced
   * to clients in the first line of the stream so they can detect a dead one.
   * @defaultValue 15000
   */
  heartbeatMs?: number | undefined
  /**
   * The reconnection delay hint (`retry:`) in milliseconds. Each stream gets a
   * value jittered over [retryMs/2, 3retryMs/2) so clients do not come back in lockstep.
   * @defaultValue 3000
   */
  retryMs?: number | undefined
  /**
   * The most bytes one connection may have waiting (its socket not draining)
   * before it is cut off as a slow consumer. It then resumes from history.
   * @defaultValue 1048576 (1 MiB)
   */
  maxBufferBytes?: number | undefined
  /**
   * The most open streams; past it requests get 503 with a jittered `Retry-After`.
   * @defaultValue Infinity
   */
  maxConnections?: number | undefined
  /**
   * The most topics one connection may subscribe to (more is a 400).
   * @defaultValue 32
   */
  maxTopics?: number | undefined
  /**
   * The most events a fresh connection may ask for with `?replay=N`.
   * @defaultValue 100
   */
  maxReplay?: number | undefined
  /**
   * Validate payloads on `emit` against the contract. Turn off only for hot
   * paths whose payloads are already known to be valid.
   * @defaultValue true
   */
  validate?: boolean | undefined
  /**
   * Who is asking: return the principal (any value you like), or throw an
   * `HttpError('unauthorized' | 'forbidden')` to answer 401/403. Any other error
   * answers 500 and goes to `onError`.
   */
  authorize?: ((request: EmitterRequest) => TPrincipal | Promise<TPrincipal>) | undefined
  /**
   * Whether the principal may subscribe to a topic; called for each requested
   * topic. One `false` refuses the whole request with 403: never a partial subscription.
   * @defaultValue every topic allowed
   */
  canSubscribe?:
    | ((
        principal: TPrincipal,
        topic: string,
        request: EmitterRequest,
      ) => boolean | Promise<boolean>)
    | undefined
  /** Cross-origin access; off by default (no CORS headers at all). */
  cors?: CorsOptions | undefined
  /** A stream opened (after authorisation, once its start block is written). */
  onConnect?: ((info: ConnectionInfo<TPrincipal>) => void) | undefined
  /** A stream ended, and why. */
  onDisconnect?: ((info: DisconnectInfo<TPrincipal>) => void) | undefined
  /**
   * Something failed that no caller can catch: `authorize` or `canSubscribe`
   * threw (the request got a 500), a hook threw, a write failed.
   */
  onError?: ((error: unknown, info?: ConnectionInfo<TPrincipal>) => void) | undefined
}

/** Options of `emitter.close()`. */
export interface CloseOptions {
  /**
   * Spread the disconnects over this many milliseconds, so clients do not all
   * reconnect (to another instance) at once.
   * @defaultValue 0 (end every stream at once)
   */
  drainMs?: number | undefined
}

/**
 * A latency histogram: `counts[i]` events took at most `bucketsMs[i]` (and more
 * than the bucket before); the last count is above the last bound (+Inf).
 */
export interface LatencyHistogram {
  readonly bucketsMs: readonly number[]
  readonly counts: readonly number[]
  readonly sumMs: number
  readonly count: number
}

/** What `emitter.stats()` reports. Counters grow from the emitter's creation. */
export interface EmitterStats {
  /** Streams open now (still replaying or live). */
  readonly connections: number
  /** Streams opened since creation. */
  readonly connectionsOpened: number
  /** Streams open now, by transport. */
  readonly connectionsByTransport: { readonly sse: number; readonly websocket: number }
  /** Events this process delivered to its streams (with a store: from every process). */
  readonly eventsEmitted: number
  /** Bytes handed to transports, over all connections. */
  readonly bytesWritten: number
  /** Events that could not be written to a slow consumer when it was cut off. */
  readonly eventsDropped: number
  /** Connections cut off for holding more than `maxBufferBytes` unread. */
  readonly slowConsumers: number
  /** Requests answered with an error status (400, 401, 403, 405, 500, 503). */
  readonly requestsRejected: number
  /** The same, by error code (`invalid_topic`, `unauthorized`, `unavailable`...). */
  readonly rejections: Readonly<Partial<Record<HttpErrorCode, number>>>
  /** Streams that started by replaying at least one event (a resume, or `replay=N`). */
  readonly replays: number
  /**
   * Stream requests answered 204 because every topic asked for had ended at or
   * before the client's last event id (nothing left to send).
   */
  readonly endedReplies: number
  /** Ended topics remembered now (see the `ended` option). */
  readonly endedTopics: number
  /** History reads (`Accept: application/json`) answered with a page or a 304. */
  readonly historyReads: number
  /** Gap events sent, by reason (a `reset` counts once per live stream told). */
  readonly gaps: Readonly<Record<GapReason, number>>
  /** Time from `emit` (with a store: on whichever process) to the write to the streams. */
  readonly emitToWrite: LatencyHistogram
  /** The id of the newest event, `<epoch>-<seq>` (the seq before the first event when none). */
  readonly headId: string
}

/** Options with their defaults applied. */
export interface ResolvedOptions {
  readonly heartbeatMs: number
  readonly retryMs: number
  readonly maxBufferBytes: number
  readonly maxConnections: number
  readonly maxTopics: number
  readonly maxReplay: number
  readonly validate: boolean
}

/** A day: the longest delay any option may ask for (timers overflow past 2^31-1 ms, about 24.8 days). */
export const MAX_DELAY_MS = 86_400_000

interface Range {
  readonly min: number
  readonly max: number
  /** Whole numbers only. */
  readonly integer?: boolean
  /** `Infinity` means "no limit" for this option. */
  readonly unlimited?: boolean
  /** How the range reads in the error message. */
  readonly text: string
}

/**
 * The documented range of every numeric option. Each is checked when the
 * emitter is created: a value outside its range (`Infinity` and `NaN`
 * included, unless the option says `Infinity` means "no limit") throws an
 * {@link OptionError} naming the option and the range.
 */
export const RANGES = {
  heartbeatMs: { min: 10, max: MAX_DELAY_MS, text: 'from 10 to 86400000 (a day)' },
  retryMs: { min: 0, max: MAX_DELAY_MS, text: 'from 0 to 86400000 (a day)' },
  maxBufferBytes: {
    min: 1,
    max: 2 ** 32,
    integer: true,
    text: 'a whole number of bytes from 1 to 4294967296 (4 GiB)',
  },
  maxConnections: {
    min: 0,
    max: 2 ** 32,
    integer: true,
    unlimited: true,
    text: 'a whole number from 0 to 4294967296, or Infinity for no limit',
  },
  maxTopics: { min: 1, max: 1024, integer: true, text: 'a whole number from 1 to 1024' },
  maxReplay: { min: 0, max: 100_000, integer: true, text: 'a whole number from 0 to 100000' },
  'history.maxEvents': {
    min: 0,
    max: 10_000_000,
    integer: true,
    text: 'a whole number from 0 to 10000000',
  },
  'history.maxAgeMs': {
    min: 1,
    max: 365 * MAX_DELAY_MS,
    text: 'from 1 to 31536000000 (a year)',
  },
  'ended.maxAgeMs': {
    min: 1,
    max: 365 * MAX_DELAY_MS,
    text: 'from 1 to 31536000000 (a year)',
  },
  'ended.maxTopics': {
    min: 0,
    max: 10_000_000,
    integer: true,
    text: 'a whole number from 0 to 10000000',
  },
  'cors.maxAgeSec': {
    min: 0,
    max: 86_400,
    integer: true,
    text: 'a whole number of seconds from 0 to 86400',
  },
  drainMs: { min: 0, max: MAX_DELAY_MS, text: 'from 0 to 86400000 (a day)' },
} as const satisfies Record<string, Range>

/**
 * Returns `value`, or `fallback` when it is `undefined`; throws an
 * {@link OptionError} when it is not a number within the option's range.
 */
export function checkNumber(
  option: keyof typeof RANGES,
  value: unknown,
  fallback: number,
  where = 'createEmitter',
): number {
  if (value === undefined) return fallback
  const range: Range = RANGES[option]
  const ok =
    typeof value === 'number' &&
    ((range.unlimited === true && value === Number.POSITIVE_INFINITY) ||
      (Number.isFinite(value) &&
        value >= range.min &&
        value <= range.max &&
        (range.integer !== true || Number.isInteger(value))))
  if (!ok) {
    const shown =
      typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? typeof value)
    throw new OptionError(option, `${where}: ${option} must be ${range.text}: got ${shown}.`)
  }
  return value
}

const HOOKS = ['authorize', 'canSubscribe', 'onConnect', 'onDisconnect', 'onError'] as const

/** Applies the defaults and rejects impossible values early, with a message naming the option. */
export function resolveOptions(options: EmitterOptions<unknown>): ResolvedOptions {
  for (const hook of HOOKS) {
    const value = options[hook]
    if (value !== undefined && typeof value !== 'function') {
      throw new OptionError(hook, `createEmitter: ${hook} must be a function: got ${typeof value}.`)
    }
  }
  if (options.validate !== undefined && typeof options.validate !== 'boolean') {
    throw new OptionError(
      'validate',
      `createEmitter: validate must be true or false: got ${typeof options.validate}.`,
    )
  }
  return {
    heartbeatMs: Math.round(checkNumber('heartbeatMs', options.heartbeatMs, 15_000)),
    retryMs: Math.round(checkNumber('retryMs', options.retryMs, 3000)),
    maxBufferBytes: checkNumber('maxBufferBytes', options.maxBufferBytes, 1024 * 1024),
    maxConnections: checkNumber('maxConnections', options.maxConnections, Number.POSITIVE_INFINITY),
    maxTopics: checkNumber('maxTopics', options.maxTopics, 32),
    maxReplay: checkNumber('maxReplay', options.maxReplay, 100),
    validate: options.validate ?? true,
  }
}
