import {
  type AnyContract,
  type Codec,
  END_EVENT,
  type EndReason,
  formatEventId,
  isTidingsError,
  parseEventId,
} from '@tidings/schema'
import type { Connection, DisconnectReason } from './connection.js'
import { type Access, Cors, type HeaderList } from './cors.js'
import { EndLookup } from './end-lookup.js'
import { EndedTopics, endData, readEnd } from './ended-topics.js'
import { HttpError, type HttpErrorCode, httpStatus, isHttpError } from './errors.js'
import { gapBlock, HEARTBEAT, helloBlock, jitter, retryBlock, toBytes } from './frames.js'
import { Ticker } from './heartbeat.js'
import { createEntry, preciseNow } from './history.js'
import { etagOf, matchesEtag, parseHistoryQuery, readHistoryPage } from './history-read.js'
import { type Group, Hub } from './hub.js'
import { MemoryHistory } from './memory-history.js'
import type {
  CloseOptions,
  ConnectionInfo,
  EmitterOptions,
  EmitterStats,
  ResolvedOptions,
} from './options.js'
import { checkNumber, resolveOptions } from './options.js'
import { type EmitterRequest, parseSubscription, type Subscription } from './request.js'
import { planStart } from './resume.js'
import { LATENCY_BUCKETS_MS } from './stats.js'
import type { EventStore, StoredEvent } from './store.js'
import { type StartHost, StreamStart } from './stream-start.js'

/** How long a stream request waits for a shared store that has not opened yet. */
const STORE_WAIT_MS = 1000

/** An answer that is not a stream: an error or a preflight. */
export interface Reply {
  readonly status: number
  readonly headers: HeaderList
  readonly body: string | null
}

/**
 * What `open` answers instead of a stream when every topic asked for ended and
 * the client's id is at or after every end: nothing is left to send (HTTP 204,
 * which tells an `EventSource` to stop reconnecting).
 */
export const ALREADY_ENDED = 'ended'

/** True for the `EmitError('topic_ended')` a store rejects an append with (from any copy of this package). */
function isTopicEnded(error: unknown): boolean {
  return (
    isTidingsError(error) &&
    error.name === 'EmitError' &&
    (error as { code?: unknown }).code === 'topic_ended'
  )
}

/** A request that passed every check and may open a stream. */
export interface Admission {
  readonly principal: unknown
  readonly subscription: Subscription
}

/** Builds the transport-specific connection once the core has decided to open a stream. */
export type ConnectionFactory = (id: number, principal: unknown, group: Group) => Connection

/**
 * Everything the handlers share: admission (limits, topics, authorisation),
 * the start of a stream (replay or gap, then live), the history and the shared
 * store's feed, hooks, heartbeats, shutdown. The handlers only translate their
 * runtime's request and response.
 */
export class Core implements StartHost {
  readonly options: ResolvedOptions
  readonly window: MemoryHistory
  readonly store: EventStore | undefined
  readonly hub: Hub
  readonly ended: EndedTopics
  readonly codec: Codec
  readonly pageBytes: number
  closing = false
  readonly #hooks: EmitterOptions<unknown>
  readonly #cors: Cors | undefined
  readonly #ticker: Ticker
  #nextId = 1
  #reserved = 0
  #closed: Promise<void> | undefined
  #resolveClosed: (() => void) | undefined
  /** With a store: resolved once it is open (the window then knows its epoch). */
  readonly #ready: Promise<void> | undefined
  #opened = false
  #openFailed: unknown
  readonly #waiting = new Set<StreamStart>()
  /** With a store that keeps ends: what this process asks it about ends it did not see. */
  readonly #lookup: EndLookup | undefined

  constructor(contract: AnyContract, options: EmitterOptions<unknown>) {
    this.options = resolveOptions(options)
    this.codec = contract.codec
    const history = options.history ?? {}
    this.window = new MemoryHistory({
      maxEvents: checkNumber('history.maxEvents', history.maxEvents, 1000),
      maxAgeMs: checkNumber('history.maxAgeMs', history.maxAgeMs, 300_000),
      epoch: history.epoch,
      now: history.now,
    })
    const ended = options.ended ?? {}
    this.ended = new EndedTopics(
      checkNumber('ended.maxTopics', ended.maxTopics, 100_000),
      checkNumber('ended.maxAgeMs', ended.maxAgeMs, 86_400_000),
      history.now ?? preciseNow,
    )
    this.#hooks = options
    this.#cors = options.cors ? new Cors(options.cors) : undefined
    this.hub = new Hub(this.options.maxBufferBytes, {
      disconnected: (connection, reason) => this.#disconnected(connection, reason),
      failed: (connection, error) => this.reportError(error, this.info(connection)),
      finished: (group) => this.finished(group.list),
    })
    this.pageBytes = Math.max(1, Math.floor(this.options.maxBufferBytes / 2))
    this.#ticker = new Ticker(this.options.heartbeatMs, () => {
      this.hub.heartbeat(HEARTBEAT)
      // Reading the oldest id lets an age-bounded history evict while nothing is emitted.
      this.window.oldest()
    })
    this.store = options.store
    const { store } = this
    this.#lookup =
      typeof store?.ends === 'function'
        ? new EndLookup((epoch, topics) => store.ends!(epoch, topics), this.window, this.ended)
        : undefined
    if (store) {
      this.#ready = store
        .open({
          events: (epoch, events) => this.#ingest(epoch, events),
          error: (error) => this.reportError(error),
          endedMaxAgeMs: this.ended.maxAgeMs,
        })
        .then(
          (position) => {
            if (!this.#opened) this.window.reset(position.epoch, position.seq)
            this.#opened = true
          },
          (error: unknown) => {
            this.#openFailed = error
            this.reportError(error)
          },
        )
    }
  }

  // ---- emitting ------------------------------------------------------------

  /** Stores and sends an event: at once in memory, through the store with one. */
  publish(
    event: string,
    data: string,
    topics: readonly string[] | undefined,
  ): string | Promise<string> {
    if (this.store) {
      return this.store.append({ event, data, topics, at: preciseNow() }).then(
        (position) => formatEventId(position.epoch, position.seq),
        async (error: unknown) => {
          // Only the store knew of the end: learn it, so the next emit throws at once.
          if (topics !== undefined && isTopicEnded(error)) await this.#learnEnds(topics)
          throw error
        },
      )
    }
    const entry = this.window.append(event, data, topics)
    this.hub.publish(entry)
    return entry.id
  }

  /**
   * Ends each topic that has not ended: appends its end event to the history
   * (through the store with one) and sends it live. A topic already ended, or
   * being ended by this process, is skipped.
   */
  end(topics: readonly string[], reason: EndReason): void | Promise<void> {
    const { ended, store } = this
    if (store) {
      const appends: Promise<unknown>[] = []
      for (const topic of topics) {
        if (!ended.begin(topic)) continue
        const event = {
          event: END_EVENT,
          data: endData(topic, reason),
          topics: [topic],
          at: preciseNow(),
        }
        appends.push(
          store.append(event).catch(async (error: unknown) => {
            ended.abandon(topic)
            if (!isTopicEnded(error)) throw error
            // Ended before, by another process this one did not hear from: a no-op.
            await this.#learnEnds([topic])
          }),
        )
      }
      return Promise.all(appends).then(() => undefined)
    }
    for (const topic of topics) {
      if (ended.closed(topic)) continue
      const entry = this.window.append(END_EVENT, endData(topic, reason), [topic])
      ended.add(entry, this.window.epoch, { topic, reason })
      this.hub.publishEnd(entry, topic)
    }
  }

  /** Asks the store about the ends of `topics`; a failure is only reported (nothing depends on it). */
  #learnEnds(topics: readonly string[]): Promise<void> {
    return (
      this.#lookup?.learn(topics).catch((error: unknown) => this.reportError(error)) ??
      Promise.resolve()
    )
  }

  /** True when every one of `topics` ended (in the current history). */
  finished(topics: readonly string[]): boolean {
    return this.ended.all(topics, this.window.epoch) !== undefined
  }

  /** The store's feed: events appended by any process, in the store's order. */
  #ingest(epoch: string, events: readonly StoredEvent[]): void {
    const { window, hub } = this
    for (const event of events) {
      if (!this.#opened) {
        window.reset(epoch, event.seq - 1)
        this.#opened = true
      } else if (epoch !== window.epoch || event.seq !== window.head() + 1) {
        this.#reset(epoch, event.seq - 1)
      }
      const entry = createEntry(epoch, event.seq, event.event, event.data, event.topics, event.at)
      window.insert(entry)
      const end = readEnd(event.event, event.data, event.topics)
      if (end === undefined) hub.publish(entry)
      else {
        // Every process learns of the end from the feed, the one that ended it
        // too; a stream that read ahead of the feed may have told it already,
        // and the live streams still need it.
        const known = this.ended.get(end.topic)
        if (known === undefined) this.ended.add(entry, epoch, end)
        if (known === undefined || (known.epoch === epoch && known.seq === event.seq)) {
          hub.publishEnd(entry, end.topic)
        }
      }
      // A second end of a topic (two processes ended it at once, on a store that
      // does not refuse it) is kept in the history for its seq, but not sent:
      // the first one counts.
    }
    for (const start of this.#waiting) {
      if (start.cursor <= window.head()) {
        this.#waiting.delete(start)
        start.resume()
      }
    }
  }

  /**
   * The store's history does not continue where this process left it (flushed,
   * replaced, restored from an older copy, trimmed past the reader): every live
   * stream gets a gap event, then the new history from `head` on.
   */
  #reset(epoch: string, head: number): void {
    const { window, hub } = this
    hub.flush()
    const lost = formatEventId(window.epoch, window.head())
    window.reset(epoch, head)
    // The ends went with the history they were part of.
    this.ended.clear()
    this.#lookup?.clear()
    const id = formatEventId(epoch, head)
    hub.counters.gaps.reset += hub.liveCount
    hub.publish(
      {
        seq: head,
        id,
        topics: undefined,
        chunk: toBytes(gapBlock(id, 'reset', lost)),
        at: preciseNow(),
      },
      false,
    )
  }

  waitForHead(start: StreamStart): void {
    this.#waiting.add(start)
  }

  readFailed(start: StreamStart, error: unknown): void {
    this.reportError(error, this.info(start.connection))
    // The client comes back after the retry hint and resumes from what it has.
    start.connection.end(retryBlock(this.options.retryMs))
  }

  // ---- replies -------------------------------------------------------------

  /**
   * The CORS decision for a request's `Origin`. The predicate is the
   * application's: a throw is reported and answered with a 500 that carries no
   * CORS headers (and so no second call).
   */
  access(origin: string | null | undefined): Access | HttpError {
    const value = origin ?? undefined
    if (!this.#cors || value === undefined) return { origin: value, allowed: false }
    try {
      return { origin: value, allowed: this.#cors.allows(value) }
    } catch (error) {
      this.reportError(error)
      return new HttpError('internal', 'The server failed to check the request origin.', {
        cause: error,
      })
    }
  }

  /** Counts a refused request, by its code. */
  countRejection(error: HttpError): void {
    const { counters } = this.hub
    counters.requestsRejected++
    counters.rejections[error.code] = (counters.rejections[error.code] ?? 0) + 1
  }

  /** The JSON error answer for `error`, with CORS and the status-specific headers. */
  errorReply(error: HttpError, access: Access | undefined): Reply {
    this.countRejection(error)
    const headers: HeaderList = {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    }
    if (error.code === 'method_not_allowed') headers.Allow = 'GET, OPTIONS'
    if (error.code === 'unavailable') {
      headers['Retry-After'] = String(Math.max(1, Math.round(jitter(this.options.retryMs) / 1000)))
    }
    if (access) this.#cors?.apply(headers, access)
    // Only messages this package wrote reach the body: an HttpError is built by
    // this library or thrown by the app as one; anything else became `internal`.
    const body = JSON.stringify({ error: { code: error.code, message: error.message } })
    // By code, not `error.status`: the error may come from another copy of this package.
    return { status: httpStatus(error.code), headers, body }
  }

  /** The answer to `OPTIONS`: CORS preflight headers when the origin is allowed. */
  preflightReply(access: Access): Reply {
    const headers: HeaderList = { Allow: 'GET, OPTIONS' }
    this.#cors?.preflight(headers, access)
    return { status: 204, headers, body: null }
  }

  /** The answer to a stream request whose topics all ended before the client's id: 204. */
  endedReply(access: Access): Reply {
    const headers: HeaderList = { 'Cache-Control': 'no-store' }
    this.#cors?.apply(headers, access)
    return { status: 204, headers, body: null }
  }

  /** The headers of a stream. `Connection: keep-alive` is an HTTP/1.1 header only. */
  streamHeaders(access: Access, http1: boolean): HeaderList {
    const headers: HeaderList = {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    }
    if (http1) headers.Connection = 'keep-alive'
    this.#cors?.apply(headers, access)
    return headers
  }

  // ---- admission -----------------------------------------------------------

  #unavailable(): HttpError {
    if (this.closing) {
      return new HttpError(
        'unavailable',
        'The server is shutting down: reconnect after Retry-After.',
      )
    }
    if (this.store && !this.#opened) {
      return new HttpError(
        'unavailable',
        this.#openFailed === undefined
          ? 'The event store is not ready yet: reconnect after Retry-After.'
          : 'The event store could not be opened: reconnect after Retry-After.',
      )
    }
    return new HttpError(
      'unavailable',
      'The server is at its connection limit: retry after Retry-After.',
    )
  }

  /**
   * Checks a GET request: capacity, topics, the store being ready, then
   * `authorize` and `canSubscribe`. Synchronous when there is nothing to await.
   */
  admit(
    request: EmitterRequest,
    query: string,
    lastEventIdHeader: string | null | undefined,
    stream = true,
  ): Admission | HttpError | Promise<Admission | HttpError> {
    if (this.closing || (stream && this.hub.size + this.#reserved >= this.options.maxConnections)) {
      return this.#unavailable()
    }
    const subscription = parseSubscription(query, lastEventIdHeader, this.options)
    if (subscription instanceof HttpError) return subscription
    const { authorize, canSubscribe } = this.#hooks
    const waitForStore = this.#ready !== undefined && !this.#opened
    const lookUp =
      this.#lookup !== undefined && this.#lookup.unknown(subscription.topics).length > 0
    if (!authorize && !canSubscribe && !waitForStore && !lookUp) {
      return { principal: undefined, subscription }
    }
    if (!stream) return this.#authorize(request, subscription, waitForStore)
    // Reserve a slot while awaiting, so slow authorisations cannot overshoot the cap.
    this.#reserved++
    return this.#authorize(request, subscription, waitForStore).finally(() => {
      this.#reserved--
    })
  }

  /**
   * Answers a history read (`GET` with `Accept: application/json`): the same
   * checks as a stream (topics, the store being ready, `authorize`,
   * `canSubscribe`; not the connection cap), then one {@link HistoryPage} as
   * JSON. A page that is full and has no gap never changes: it is cached for a
   * year; the last page is revalidated (`no-cache`) by its `ETag`.
   */
  async historyReply(
    request: EmitterRequest,
    query: string,
    ifNoneMatch: string | null | undefined,
    access: Access,
  ): Promise<Reply> {
    const asked = parseHistoryQuery(query)
    if (asked instanceof HttpError) return this.errorReply(asked, access)
    const admitted = await this.admit(request, query, undefined, false)
    if (admitted instanceof HttpError) return this.errorReply(admitted, access)
    let body: string
    let immutable: boolean
    try {
      const page = await readHistoryPage(this, new Set(admitted.subscription.topics), asked)
      body = JSON.stringify(page)
      immutable = !page.last && page.gap === null
    } catch (error) {
      this.reportError(error)
      const failed = new HttpError(
        'unavailable',
        'The event store could not be read: retry after Retry-After.',
        { cause: error },
      )
      return this.errorReply(failed, access)
    }
    this.hub.counters.historyReads++
    const etag = etagOf(body)
    const headers: HeaderList = {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': immutable
        ? `${this.#hooks.authorize ? 'private' : 'public'}, max-age=31536000, immutable`
        : 'no-cache',
      ETag: etag,
    }
    this.#cors?.apply(headers, access)
    // The same URL answers a stream or a page, by `Accept`.
    headers.Vary = headers.Vary ? `Accept, ${headers.Vary}` : 'Accept'
    if (matchesEtag(ifNoneMatch, etag)) return { status: 304, headers, body: null }
    return { status: 200, headers, body }
  }

  /**
   * Waits for the store to open, at most {@link STORE_WAIT_MS}: a stream asked
   * for at start-up gets it once the store is ready; one asked for while the
   * store cannot be reached gets a 503 with `Retry-After` rather than a hang.
   */
  #storeOpened(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    return Promise.race([
      this.#ready,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STORE_WAIT_MS)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  async #authorize(
    request: EmitterRequest,
    subscription: Subscription,
    waitForStore: boolean,
  ): Promise<Admission | HttpError> {
    const { authorize, canSubscribe } = this.#hooks
    try {
      if (waitForStore) {
        await this.#storeOpened()
        if (!this.#opened) return this.#unavailable()
      }
      const principal = authorize ? await authorize(request) : undefined
      if (authorize && principal === false) {
        return new HttpError('unauthorized', 'This request is not authorised to open a stream.')
      }
      if (canSubscribe) {
        for (const topic of subscription.topics) {
          if ((await canSubscribe(principal, topic, request)) !== true) {
            return new HttpError('forbidden', `Subscribing to topic "${topic}" is not allowed.`)
          }
        }
      }
      return (await this.#lookUpEnds(subscription)) ?? { principal, subscription }
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
   * Before a stream or a history read on topics this process knows nothing
   * about, asks the store whether they ended before it started (after
   * authorisation, so only admitted requests reach the store). Unanswered: 503,
   * as a stream cannot tell a late client what to expect.
   */
  async #lookUpEnds(subscription: Subscription): Promise<HttpError | undefined> {
    const unknown = this.#lookup?.unknown(subscription.topics)
    if (unknown === undefined || unknown.length === 0) return undefined
    try {
      await this.#lookup?.learn(unknown)
      return undefined
    } catch (error) {
      this.reportError(error)
      return new HttpError(
        'unavailable',
        'The event store could not be read: retry after Retry-After.',
        { cause: error },
      )
    }
  }

  /**
   * Opens the stream: counts it, writes the hello, and starts it (replay pages
   * or a gap, then live). For a short resume from the local history all of it
   * happens in this synchronous call.
   */
  open(
    admission: Admission,
    create: ConnectionFactory,
  ): Connection | HttpError | typeof ALREADY_ENDED {
    if (
      this.closing ||
      this.hub.size >= this.options.maxConnections ||
      (this.store && !this.#opened)
    ) {
      return this.#unavailable()
    }
    const { principal, subscription } = admission
    const { hub, window, ended } = this
    if (this.#delivered(subscription.topics, subscription.lastEventId)) {
      hub.counters.endedReplies++
      return ALREADY_ENDED
    }
    const group = hub.group(subscription.topics, subscription.eventTopics)
    const connection = create(this.#nextId++, principal, group)
    hub.attach(connection)
    this.#ticker.start()
    // Pending events are older than the head the plan starts from: out first.
    hub.flush()
    const plan = planStart(
      window,
      subscription.lastEventId,
      subscription.replay,
      group.topics,
      this.store !== undefined,
    )
    const { heartbeatMs, retryMs } = this.options
    const bookmark = plan.kind === 'fresh' ? formatEventId(window.epoch, plan.head) : undefined
    const hello = toBytes(helloBlock(heartbeatMs, retryMs, bookmark))
    hub.counters.bytesWritten += hello.byteLength
    connection.write(hello)
    if (plan.kind === 'fresh' && bookmark !== undefined) {
      // A late client: the ends it would not get from the replay come first.
      let wrote = false
      for (const tombstone of ended.some(group.topics, window.epoch)) {
        if (tombstone.seq > plan.from) continue
        hub.counters.bytesWritten += tombstone.chunk.byteLength
        connection.write(tombstone.chunk)
        wrote = true
      }
      // Topics still open: it resumes from the head, not from an older end.
      if (wrote && !this.finished(group.list)) connection.write(toBytes(`id:${bookmark}\n\n`))
    }
    const start = new StreamStart(
      this,
      connection,
      plan.kind === 'gap' ? window.head() : plan.from,
      subscription.lastEventId,
    )
    connection.starting = start
    if (plan.kind === 'gap') start.gap(plan.reason)
    else start.run()
    if (this.#hooks.onConnect && !connection.closed) {
      const info = this.info(connection)
      this.#call(() => this.#hooks.onConnect?.(info), info)
    }
    return connection
  }

  /** True when every one of `topics` ended at or before `lastEventId`: the client has it all. */
  #delivered(topics: readonly string[], lastEventId: string | undefined): boolean {
    if (lastEventId === undefined) return false
    const tombstones = this.ended.all(topics, this.window.epoch)
    if (tombstones === undefined) return false
    const parsed = parseEventId(lastEventId)
    return (
      parsed !== undefined &&
      parsed.epoch === this.window.epoch &&
      parsed.seq >= tombstones[tombstones.length - 1]!.seq
    )
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
    for (const start of this.#waiting)
      if (start.connection === connection) this.#waiting.delete(start)
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
    const { emitToWrite } = counters
    return {
      connections: this.hub.size,
      connectionsOpened: counters.connectionsOpened,
      connectionsByTransport: { ...counters.transports },
      eventsEmitted: counters.eventsEmitted,
      bytesWritten: counters.bytesWritten,
      eventsDropped: counters.eventsDropped,
      slowConsumers: counters.slowConsumers,
      requestsRejected: counters.requestsRejected,
      rejections: { ...counters.rejections },
      replays: counters.replays,
      endedReplies: counters.endedReplies,
      endedTopics: this.ended.size,
      historyReads: counters.historyReads,
      gaps: { ...counters.gaps },
      emitToWrite: {
        bucketsMs: LATENCY_BUCKETS_MS,
        counts: [...emitToWrite.counts],
        sumMs: emitToWrite.sumMs,
        count: emitToWrite.count,
      },
      headId: formatEventId(this.window.epoch, this.window.head()),
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return this.#closed
    const drainMs = checkNumber('drainMs', options.drainMs, 0, 'close')
    this.closing = true
    this.#closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve
    })
      .then(() => this.store?.close())
      .catch((error: unknown) => this.reportError(error))
    this.hub.flush()
    const connections = this.hub.connections()
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
