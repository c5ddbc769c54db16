import type { DisconnectReason } from './connection.js'
import type { CorsOptions } from './cors.js'
import type { HistoryStore } from './history.js'
import type { MemoryHistoryOptions } from './memory-history.js'
import type { EmitterRequest } from './request.js'

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
   * Where events are kept for replay: a {@link HistoryStore}, or the limits of the
   * in-memory history.
   * @defaultValue the memory history, `{ maxEvents: 1000, maxAgeMs: 300000 }`
   */
  history?: HistoryStore | MemoryHistoryOptions | undefined
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

/** What `emitter.stats()` reports. Counters grow from the emitter's creation. */
export interface EmitterStats {
  /** Streams open now. */
  readonly connections: number
  /** Streams opened since creation. */
  readonly connectionsOpened: number
  /** Events emitted (each counted once, whatever the number of receivers). */
  readonly eventsEmitted: number
  /** Bytes handed to transports, over all connections. */
  readonly bytesWritten: number
  /** Events that were queued for a slow consumer when it was cut off. */
  readonly eventsDropped: number
  /** Connections cut off for passing `maxBufferBytes`. */
  readonly slowConsumers: number
  /** Requests answered with an error status (400, 401, 403, 405, 500, 503). */
  readonly requestsRejected: number
  /** The id of the newest event, `<epoch>-0` before the first. */
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

const positive = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && value > 0)) {
    throw new RangeError(`createEmitter: ${name} must be a positive number: got ${String(value)}.`)
  }
  return value
}

const nonNegative = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && value >= 0)) {
    throw new RangeError(`createEmitter: ${name} must be zero or more: got ${String(value)}.`)
  }
  return value
}

/** Applies the defaults and rejects impossible values early, with a message naming the option. */
export function resolveOptions(
  options: Pick<
    EmitterOptions,
    | 'heartbeatMs'
    | 'retryMs'
    | 'maxBufferBytes'
    | 'maxConnections'
    | 'maxTopics'
    | 'maxReplay'
    | 'validate'
  >,
): ResolvedOptions {
  return {
    heartbeatMs: Math.round(positive('heartbeatMs', options.heartbeatMs, 15_000)),
    retryMs: Math.round(nonNegative('retryMs', options.retryMs, 3000)),
    maxBufferBytes: positive('maxBufferBytes', options.maxBufferBytes, 1024 * 1024),
    maxConnections: nonNegative('maxConnections', options.maxConnections, Number.POSITIVE_INFINITY),
    maxTopics: positive('maxTopics', options.maxTopics, 32),
    maxReplay: nonNegative('maxReplay', options.maxReplay, 100),
    validate: options.validate ?? true,
  }
}
