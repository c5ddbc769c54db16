import { type AnyContract, formatEventId } from '@tidings/schema'
import type { Connection, DisconnectReason } from './connection.js'
import { Cors, type HeaderList } from './cors.js'
import { HttpError, type HttpErrorCode, httpStatus, isHttpError } from './errors.js'
import {
  concatBytes,
  gapBlock,
  HEARTBEAT,
  helloBlock,
  jitter,
  retryBlock,
  toBytes,
} from './frames.js'
import { Ticker } from './heartbeat.js'
import type { HistoryStore } from './history.js'
import { type Group, Hub } from './hub.js'
import { createMemoryHistory } from './memory-history.js'
import type {
  CloseOptions,
  ConnectionInfo,
  EmitterOptions,
  EmitterStats,
  ResolvedOptions,
} from './options.js'
import { resolveOptions } from './options.js'
import { type EmitterRequest, parseSubscription, type Subscription } from './request.js'
import { planStart, type StartPlan } from './resume.js'

/** An answer that is not a stream: an error or a preflight. */
export interface Reply {
  readonly status: number
  readonly headers: HeaderList
  readonly body: string | null
}

/** A request that passed every check and may open a stream. */
export interface Admission {
  readonly principal: unknown
  readonly subscription: Subscription
}

/** Builds the transport-specific connection once the core has decided to open a stream. */
export type ConnectionFactory = (id: number, principal: unknown, group: Group) => Connection

const isHistoryStore = (value: unknown): value is HistoryStore =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as HistoryStore).append === 'function'

/**
 * Everything both handlers share: admission (limits, topics, authorisation),
 * the start of a stream (replay or gap, then live), hooks, heartbeats,
 * shutdown. The handlers only translate their runtime's request and response.
 */
export class Core {
  readonly options: ResolvedOptions
  readonly history: HistoryStore
  readonly hub: Hub
  closing = false
  readonly #hooks: EmitterOptions<unknown>
  readonly #cors: Cors | undefined
  readonly #ticker: Ticker
  #nextId = 1
  #reserved = 0
  #closed: Promise<void> | undefined
  #resolveClosed: (() => void) | undefined

  constructor(_contract: AnyContract, options: EmitterOptions<unknown>) {
    this.options = resolveOptions(options)
    this.history = isHistoryStore(options.history)
      ? options.history
      : createMemoryHistory(options.history ?? {})
    this.#hooks = options
    this.#cors = options.cors ? new Cors(options.cors) : undefined
    this.hub = new Hub(this.options.maxBufferBytes, {
      disconnected: (connection, reason) => this.#disconnected(connection, reason),
      failed: (connection, error) => this.reportError(error, this.info(connection)),
    })
    this.#ticker = new Ticker(this.options.heartbeatMs, () => {
      this.hub.sendAll(HEARTBEAT)
      // Reading the oldest id lets an age-bounded history evict while nothing is emitted.
      this.history.oldest()
    })
  }

  // ---- replies -------------------------------------------------------------

  /** The JSON error answer for `error`, with CORS and the status-specific headers. */
  errorReply(error: HttpError, origin: string | null | undefined): Reply {
    this.hub.counters.requestsRejected++
    const headers: HeaderList = {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    }
    if (error.code === 'method_not_allowed') headers.Allow = 'GET, OPTIONS'
    if (error.code === 'unavailable') {
      headers['Retry-After'] = String(Math.max(1, Math.round(jitter(this.options.retryMs) / 1000)))
    }
    this.#cors?.apply(headers, origin)
    const body = JSON.stringify({ error: { code: error.code, message: error.message } })
    // By code, not `error.status`: the error may come from another copy of this package.
    return { status: httpStatus(error.code), headers, body }
  }

  /** The answer to `OPTIONS`: CORS preflight headers when the origin is allowed. */
  preflightReply(origin: string | null | undefined): Reply {
    const headers: HeaderList = { Allow: 'GET, OPTIONS' }
    this.#cors?.preflight(headers, origin)
    return { status: 204, headers, body: null }
  }

  /** The headers of a stream. `Connection: keep-alive` is an HTTP/1.1 header only. */
  streamHeaders(origin: string | null | undefined, http1: boolean): HeaderList {
    const headers: HeaderList = {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    }
    if (http1) headers.Connection = 'keep-alive'
    this.#cors?.apply(headers, origin)
    return headers
  }

  // ---- admission -----------------------------------------------------------

  #unavailable(): HttpError {
    return this.closing
      ? new HttpError('unavailable', 'The server is shutting down: reconnect after Retry-After.')
      : new HttpError(
          'unavailable',
          'The server is at its connection limit: retry after Retry-After.',
        )
  }

  /**
   * Checks a GET request: capacity, topics, then `authorize` and `canSubscribe`.
   * Synchronous when there is nothing to await (no auth hooks).
   */
  admit(
    request: EmitterRequest,
    query: string,
    lastEventIdHeader: string | null | undefined,
  ): Admission | HttpError | Promise<Admission | HttpError> {
    if (this.closing || this.hub.size + this.#reserved >= this.options.maxConnections) {
      return this.#unavailable()
    }
    const subscription = parseSubscription(query, lastEventIdHeader, this.options)
    if (subscription instanceof HttpError) return subscription
    const { authorize, canSubscribe } = this.#hooks
    if (!authorize && !canSubscribe) return { principal: undefined, subscription }
    // Reserve a slot while awaiting, so slow authorisations cannot overshoot the cap.
    this.#reserved++
    return this.#authorize(request, subscription).finally(() => {
      this.#reserved--
    })
  }

  async #authorize(
    request: EmitterRequest,
    subscription: Subscription,
  ): Promise<Admission | HttpError> {
    const { authorize, canSubscribe } = this.#hooks
    try {
      const principal = authorize ? await authorize(request) : undefined
      if (canSubscribe) {
        for (const topic of subscription.topics) {
          if ((await canSubscribe(principal, topic, request)) !== true) {
            return new HttpError('forbidden', `Subscribing to topic "${topic}" is not allowed.`)
          }
        }
      }
      return { principal, subscription }
    } catch (error) {
      if (isHttpError(error)) {
        // One from another copy of this package: rebuild it so handlers can branch on the class.
        if (error instanceof HttpError) return error
        const foreign = error as { code: HttpErrorCode; message: string }
        return new HttpError(foreign.code, foreign.message, { cause: error })
      }
      this.reportError(error)
      return new HttpError('internal', 'The server failed to authorise this request.', {
        cause: error,
      })
    }
  }

  /**
   * Opens the stream, synchronously: flush what is pending, read the history up
   * to the head, write the start block, join the live fan-out. Nothing can be
   * emitted in between, so replay and live meet with no gap and no duplicate.
   */
  open(admission: Admission, create: ConnectionFactory): Connection | HttpError {
    if (this.closing || this.hub.size >= this.options.maxConnections) return this.#unavailable()
    this.hub.flush()
    const { principal, subscription } = admission
    const group = this.hub.group(subscription.topics)
    const plan = planStart(
      this.history,
      subscription.lastEventId,
      subscription.replay,
      group.topics,
    )
    const connection = create(this.#nextId++, principal, group)
    this.hub.add(connection)
    this.#ticker.start()
    connection.sendStart(this.#startBlock(plan, subscription.lastEventId))
    if (this.#hooks.onConnect && !connection.closed) {
      const info = this.info(connection)
      this.#call(() => this.#hooks.onConnect?.(info), info)
    }
    return connection
  }

  #startBlock(plan: StartPlan, lastEventId: string | undefined): Uint8Array {
    const { heartbeatMs, retryMs } = this.options
    const { epoch } = this.history
    if (plan.kind === 'gap') {
      const text =
        helloBlock(heartbeatMs, retryMs, undefined) +
        gapBlock(formatEventId(epoch, plan.head), plan.reason, lastEventId ?? '')
      return toBytes(text)
    }
    const hello = toBytes(
      helloBlock(
        heartbeatMs,
        retryMs,
        plan.kind === 'fresh' ? formatEventId(epoch, plan.head) : undefined,
      ),
    )
    if (plan.entries.length === 0) return hello
    const chunks = [hello]
    let total = hello.byteLength
    for (const entry of plan.entries) {
      chunks.push(entry.chunk)
      total += entry.chunk.byteLength
    }
    return concatBytes(chunks, total)
  }

  // ---- hooks ---------------------------------------------------------------

  info(connection: Connection): ConnectionInfo<unknown> {
    return {
      id: String(connection.id),
      principal: connection.principal,
      topics: connection.group.list,
    }
  }

  reportError(error: unknown, info?: ConnectionInfo<unknown>): void {
    const { onError } = this.#hooks
    if (!onError) return
    try {
      if (info) onError(error, info)
      else onError(error)
    } catch {
      // An error hook that throws has nowhere left to report to.
    }
  }

  #call(fn: () => void, info: ConnectionInfo<unknown>): void {
    try {
      fn()
    } catch (error) {
      this.reportError(error, info)
    }
  }

  #disconnected(connection: Connection, reason: DisconnectReason): void {
    if (this.hub.size === 0) this.#ticker.stop()
    const { onDisconnect } = this.#hooks
    if (onDisconnect) {
      const info = this.info(connection)
      this.#call(() => onDisconnect({ ...info, reason }), info)
    }
    if (this.closing && this.hub.size === 0) this.#resolveClosed?.()
  }

  // ---- stats and shutdown --------------------------------------------------

  stats(): EmitterStats {
    const { counters } = this.hub
    return {
      connections: this.hub.size,
      connectionsOpened: counters.connectionsOpened,
      eventsEmitted: counters.eventsEmitted,
      bytesWritten: counters.bytesWritten,
      eventsDropped: counters.eventsDropped,
      slowConsumers: counters.slowConsumers,
      requestsRejected: counters.requestsRejected,
      headId: formatEventId(this.history.epoch, this.history.head()),
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return this.#closed
    this.closing = true
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve
    })
    this.hub.flush()
    const connections = this.hub.connections()
    const drainMs = options.drainMs ?? 0
    const { retryMs } = this.options
    if (connections.length === 0) {
      this.#ticker.stop()
      this.#resolveClosed?.()
    } else if (!(drainMs > 0) || connections.length === 1) {
      for (const connection of connections) connection.end(retryBlock(retryMs))
    } else {
      // One timer for the whole drain: every step ends the next slice, so the
      // last streams end at `drainMs`.
      const steps = Math.max(1, Math.min(connections.length, Math.ceil(drainMs / 10)))
      let ended = 0
      let step = 0
      const timer = setInterval(() => {
        step++
        const until = Math.ceil((connections.length * step) / steps)
        while (ended < until) connections[ended++]!.end(retryBlock(retryMs))
        if (ended >= connections.length) clearInterval(timer)
      }, drainMs / steps)
    }
    return this.#closed
  }
}
