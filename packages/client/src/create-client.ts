import {
  type AnyContract,
  createParser,
  type EventId,
  type EventName,
  type EventOutput,
  GAP_EVENT,
  type GapInfo,
  HELLO_COMMENT_PREFIX,
  hasEvent,
  LAST_EVENT_ID_PARAM,
  type ParsedEvent,
  parseEventId,
  REPLAY_PARAM,
  TOPIC_PARAM,
  ValidationError,
  validatePayload,
} from '@tidings/schema'
import { type ClientError, ConnectionError, ResponseError } from './errors.js'
import { createFetchTransport } from './fetch-transport.js'
import { createListeners } from './listeners.js'
import type { ClientOptions, DebugInfo } from './options.js'
import { backoffDelay, clampDelay } from './reconnect.js'
import type { ClientStatus, CloseReason, LifecycleEvents } from './status.js'

/** What a contract event's handler receives beside the payload. */
export interface EventMeta<TName extends string = string> {
  /** The event's id (its resume position), if the server sent one. */
  readonly id: string | undefined
  /** The event's name. */
  readonly event: TName
}

/** Every name `client.on` accepts: the contract's events and the lifecycle events. */
export type ClientEventName<TContract extends AnyContract> =
  | EventName<TContract>
  | { [TName in keyof LifecycleEvents]: TName }[keyof LifecycleEvents]

// The same union spelled out: distributing over it drops the alias, so the compiler
// error for a misspelled name lists the valid names instead of naming the alias.
type Listed<T> = T extends string ? T : never

/** The handler type for `name`: payload and meta for contract events, one value for lifecycle events. */
export type ClientHandler<
  TContract extends AnyContract,
  TName extends ClientEventName<TContract>,
> = TName extends keyof LifecycleEvents
  ? (value: LifecycleEvents[TName]) => void
  : TName extends EventName<TContract>
    ? (payload: EventOutput<TContract, TName>, meta: EventMeta<TName>) => void
    : never

/** A connection to a Tidings (or any SSE) endpoint; see `createClient`. */
export interface Client<TContract extends AnyContract> {
  /**
   * Calls `handler` for every `name` event: a contract event with its validated
   * payload (the schema's output type) and {@link EventMeta}, or a lifecycle event
   * (`'tidings:status' | 'tidings:error' | 'tidings:gap'`). A handler that throws
   * does not stop the stream or the other handlers; its error is rethrown
   * asynchronously (reported like an uncaught error).
   * @returns a function that removes this handler
   * @example
   * const off = client.on('server-time', ({ time }, { id }) => render(time))
   */
  on<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): () => void
  /** As {@link Client.on}, for the next `name` event only. */
  once<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): () => void
  /** Removes `handler` from `name` (whether added with `on` or `once`). */
  off<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): void
  /** The current status; changes are also emitted as `'tidings:status'`. */
  readonly status: ClientStatus
  /**
   * The id of the last event processed (or the position a server bookmarked): the
   * client resumes from it on reconnect. Save it to resume after a page reload
   * with the `lastEventId` option.
   */
  readonly lastEventId: string | undefined
  /** Closes for good: aborts the request, clears every timer, emits status `closed`. */
  close(): void
}

type GlobalLike = {
  addEventListener?: (type: string, listener: () => void, options: { signal: AbortSignal }) => void
  document?: GlobalLike & { visibilityState?: string }
}

// The registry name `onDebug` listens on; no contract name starts with `tidings:`.
const DEBUG = 'tidings:debug'

// Report an error thrown by application code the way EventTarget does, without
// stopping the stream: `reportError` where the platform has it (browsers, Deno),
// else an asynchronous rethrow (Node: an uncaught exception, as for any listener).
const rethrow = (error: unknown): void => {
  const { reportError } = globalThis as { reportError?: (error: unknown) => void }
  if (reportError) reportError(error)
  else
    queueMicrotask(() => {
      throw error
    })
}

/**
 * Connects to an event stream and hands typed, validated events to handlers,
 * through reconnects, without losing or repeating one: it resumes from the last
 * event id it processed (`Last-Event-ID`), drops duplicates a replay may repeat,
 * and reports a gap when the server cannot resume (`'tidings:gap'`).
 *
 * Reconnects with exponential backoff and full jitter, never sooner than the
 * server's `retry:`. HTTP 204 closes the client; 5xx, 429 and network errors are
 * retried; other statuses and a wrong content type are fatal unless
 * `onHttpError` says retry. The standard gives up on every error status; Tidings
 * retries 5xx and 429 so a deploy does not strand every client.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html
 *
 * In browsers it reconnects at once when the page comes back `online` or becomes
 * visible with a stream that looks dead (silent for longer than the announced
 * heartbeat plus 5 s): the one case where it does not wait out the backoff or the
 * server's `retry:`. It never closes streams of hidden pages.
 *
 * @example
 * const client = createClient(events, '/events', { topics: ['room:lobby'] })
 * client.on('chat:message', ({ user, text }) => show(user, text))
 * client.on('tidings:gap', () => refetchMessages())
 * client.close()
 */
export function createClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: ClientOptions = {},
): Client<TContract> {
  const { reconnect = {}, onHttpError, signal, idleTimeoutMs, connectTimeoutMs = 20_000 } = options
  const listeners = createListeners(rethrow)
  const transport = createFetchTransport(
    options.fetch ?? ((input, init) => fetch(input, init)),
    options.credentials,
  )
  const env = globalThis as GlobalLike
  const doc = env.document

  const lifetime = new AbortController()
  let status: ClientStatus = { state: 'connecting' }
  let lastEventId = options.lastEventId
  // Resume with the query parameter rather than Last-Event-ID: a header outside the
  // CORS safelist costs every cross-origin reconnect a preflight, which routes such
  // as Express's `app.get` refuse. Only a Tidings server is known to read the
  // parameter: true once a stream said it is Tidings (the last one to send
  // anything decides); before any stream, when the saved id is a Tidings id.
  let resumeByQuery = lastEventId !== undefined && parseEventId(lastEventId) !== undefined
  let closed = false
  let controller: AbortController | undefined
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  // Consecutive attempts since the last healthy connection.
  let attempt = 0
  let wakeNow = false
  let serverRetry = 0
  let heartbeat = 0
  let lastActivity = 0
  // Per connection: bytes received, the id sent, the dedupe baseline, whether the
  // stream identified itself as Tidings (its hello comment), the parser's id.
  let received = false
  let sentId: string | undefined
  let baseline: EventId | undefined
  let tidings = false
  let parserId: string | undefined

  const { emit } = listeners
  const setStatus = (next: ClientStatus): void => {
    status = next
    emit('tidings:status', next)
  }
  const gap = (info: GapInfo): void => emit(GAP_EVENT, info)
  const report = (error: unknown): void => emit('tidings:error', error)
  // Through the listeners, for their error isolation.
  const debug = (info: DebugInfo): void => emit(DEBUG, info)
  if (options.onDebug) listeners.on(DEBUG, options.onDebug)
  const idleTimeout = (): number => idleTimeoutMs ?? (heartbeat && heartbeat * 2 + 5000)

  const onEvent = ({ event, data, id }: ParsedEvent): void => {
    if (closed) return
    parserId = id
    // Ids, gaps and duplicates mean something only on a stream that said it is
    // Tidings: any other stream is delivered as the standard says, whatever its ids
    // look like (`order-7` then `order-5` are two events, not a repeat).
    if (tidings && event === GAP_EVENT) {
      let info: GapInfo | undefined
      try {
        info = JSON.parse(data)
      } catch {}
      lastEventId = id
      baseline = id === undefined ? undefined : parseEventId(id)
      gap(
        typeof info?.reason === 'string' ? info : { reason: 'unknown', lastEventId: sentId ?? '' },
      )
      return
    }
    const parsed = tidings && id !== undefined ? parseEventId(id) : undefined
    if (parsed) {
      if (baseline?.epoch === parsed.epoch && parsed.seq <= baseline.seq) {
        // The resume position stays where it was: a replay never moves it back.
        debug({ type: 'duplicate', event, id: id as string })
        return
      }
      // A new history without the server saying so: never let that pass silently.
      if (baseline && baseline.epoch !== parsed.epoch) {
        gap({ reason: 'other-epoch', lastEventId: `${baseline.epoch}-${baseline.seq}` })
      }
      baseline = parsed
    }
    lastEventId = id
    if (!hasEvent(contract, event)) {
      debug({ type: 'unknown-event', event, id, data })
      return
    }
    let payload: unknown
    try {
      payload = contract.codec.decode(data)
    } catch (cause) {
      report(new ValidationError(event, [{ message: `cannot decode data: ${cause}` }], id))
      return
    }
    try {
      const result = validatePayload(contract, event, payload)
      if (result.success) emit(event, result.value, { id, event })
      else report(new ValidationError(event, result.issues, id))
    } catch (error) {
      report(error)
    }
  }

  const parser = createParser({
    onEvent,
    onRetry: (ms) => {
      serverRetry = ms
    },
    onComment: (text) => {
      if (text.startsWith(HELLO_COMMENT_PREFIX)) {
        tidings = true
        const ms = Number(text.slice(HELLO_COMMENT_PREFIX.length))
        if (ms > 0) {
          heartbeat = ms
          checkIdle()
        }
      }
    },
    maxLineLength: options.maxLineLength,
  })

  // One timer per connection, re-armed for the remaining time rather than reset on
  // every chunk. Date.now() (not a monotonic clock) so that a page frozen in the
  // background finds its stream stale when it thaws.
  const checkIdle = (): void => {
    clearTimeout(idleTimer)
    const ms = idleTimeout()
    if (!ms || !controller) return
    const left = lastActivity + ms - Date.now()
    if (left > 0) idleTimer = setTimeout(checkIdle, clampDelay(left))
    else dead(ms)
  }
  const dead = (ms: number): void =>
    controller?.abort(new ConnectionError('idle_timeout', `No data for ${ms} ms`))

  const onData = (chunk: Uint8Array | string): void => {
    lastActivity = Date.now()
    received = true
    // After a size-limit error the parser keeps the rest of the chunk: go on with it.
    for (let rest = chunk; ; rest = '') {
      try {
        parser.feed(rest)
        break
      } catch (error) {
        report(error)
      }
    }
    // A block with an id but no data (a Tidings bookmark) dispatches nothing, yet
    // moves the resume position: a connection that got only a bookmark resumes from it.
    const id = parser.lastEventId || undefined
    if (id !== parserId) lastEventId = parserId = id
  }

  const buildUrl = (): string => {
    const query = new URLSearchParams((options.topics ?? []).map((topic) => [TOPIC_PARAM, topic]))
    // Once a Tidings stream opened, there is a position to resume from (its bookmark).
    if (options.replay && lastEventId === undefined) query.set(REPLAY_PARAM, `${options.replay}`)
    if (resumeByQuery && lastEventId !== undefined) query.set(LAST_EVENT_ID_PARAM, lastEventId)
    const base = String(url)
    const search = String(query)
    return search ? `${base}${base.includes('?') ? '&' : '?'}${search}` : base
  }

  const connect = async (): Promise<void> => {
    retryTimer = undefined
    const ctrl = new AbortController()
    controller = ctrl
    received = false
    let error: ResponseError | ConnectionError | undefined
    let stopped = false
    // Until the response headers: a server may accept the connection and never answer.
    const connectTimer =
      connectTimeoutMs > 0
        ? setTimeout(
            () =>
              ctrl.abort(
                new ConnectionError('connect_timeout', `No response within ${connectTimeoutMs} ms`),
              ),
            clampDelay(connectTimeoutMs),
          )
        : undefined
    try {
      let headers: Record<string, string> | undefined
      try {
        // Raced with the abort, so that a promise that never settles cannot hold the attempt.
        headers = await new Promise((resolve, reject) => {
          ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason))
          Promise.resolve(
            typeof options.headers === 'function' ? options.headers() : options.headers,
          ).then(resolve, reject)
        })
      } catch (cause) {
        if (ctrl.signal.aborted) throw cause
        throw new ConnectionError('headers', 'The headers function threw', { cause })
      }
      sentId = lastEventId
      baseline = sentId === undefined ? undefined : parseEventId(sentId)
      tidings = false
      parserId = sentId
      // The standard keeps the last event id across reconnections: an event without
      // an `id:` field reports the one the client resumed from.
      parser.reset({ lastEventId: sentId })
      stopped = !(await transport.connect(
        {
          url: buildUrl(),
          headers,
          lastEventId: resumeByQuery ? undefined : sentId,
          signal: ctrl.signal,
        },
        () => {
          clearTimeout(connectTimer)
          lastActivity = Date.now()
          setStatus({ state: 'open' })
          checkIdle()
        },
        onData,
      ))
    } catch (thrown) {
      error = thrown as ResponseError | ConnectionError
    }
    if (ctrl.signal.aborted) {
      error = ctrl.signal.reason
      stopped = false
    }
    clearTimeout(connectTimer)
    clearTimeout(idleTimer)
    if (closed || controller !== ctrl) return
    controller = undefined
    if (received) {
      attempt = 0
      resumeByQuery = tidings
    }
    if (stopped) return finish('no-content')
    let retry = true
    let floor = serverRetry
    if (error instanceof ResponseError) {
      let decision: string | undefined
      try {
        decision = (await onHttpError?.(error, { attempt: attempt + 1 })) ?? undefined
      } catch (hookError) {
        rethrow(hookError)
      }
      if (closed) return
      retry = decision
        ? decision === 'retry'
        : error.code === 'http_status' && (error.status >= 500 || error.status === 429)
      floor = Math.max(floor, error.retryAfterMs ?? 0)
    }
    attempt++
    // Without `maxAttempts`, forever.
    retry &&= attempt <= (reconnect.maxAttempts ?? attempt)
    // `willRetry` is read-only to callers: set here, once the client has decided.
    if (error) report(Object.assign(error, { willRetry: retry }))
    if (closed) return
    if (!retry)
      return finish(error instanceof ResponseError ? 'fatal-status' : 'fatal-error', error)
    const delayMs = wakeNow ? 0 : backoffDelay(reconnect, attempt, floor)
    wakeNow = false
    // The timer first: a status handler may close() the client, which must clear it.
    retryTimer = setTimeout(connect, delayMs)
    setStatus({ state: 'reconnecting', attempt, delayMs })
  }

  // The page came back (online, visible): skip the wait, or replace a stream that
  // has been silent for longer than the server's heartbeat allows.
  const wake = (): void => {
    if (retryTimer) {
      clearTimeout(retryTimer)
      void connect()
    } else if (status.state === 'open') {
      const staleMs = heartbeat ? heartbeat + 5000 : idleTimeout()
      if (staleMs > 0 && Date.now() - lastActivity > staleMs) {
        wakeNow = true
        dead(Date.now() - lastActivity)
      }
    }
  }
  const onVisibility = (): void => {
    if (doc?.visibilityState === 'visible') wake()
  }

  const finish = (reason: CloseReason, error?: ClientError): void => {
    closed = true
    clearTimeout(retryTimer)
    clearTimeout(idleTimer)
    controller?.abort()
    controller = undefined
    lifetime.abort()
    setStatus({ state: 'closed', reason, ...(error && { error }) })
  }
  const close = (reason: CloseReason = 'close'): void => {
    if (!closed) finish(reason)
  }

  if (signal?.aborted) finish('signal')
  else {
    // Removed together when the client closes.
    const listening = { signal: lifetime.signal }
    signal?.addEventListener('abort', () => close('signal'), listening)
    env.addEventListener?.('online', wake, listening)
    doc?.addEventListener?.('visibilitychange', onVisibility, listening)
    // Start after the caller's synchronous `on(...)` calls, so they see `connecting`.
    queueMicrotask(() => {
      if (closed) return
      setStatus(status)
      void connect()
    })
  }

  return {
    on(name, handler) {
      listeners.on(name, handler)
      return () => listeners.off(name, handler)
    },
    once(name, handler) {
      listeners.on(name, handler, true)
      return () => listeners.off(name, handler)
    },
    off: listeners.off,
    get status() {
      return status
    },
    get lastEventId() {
      return lastEventId
    },
    close: () => close(),
  }
}
