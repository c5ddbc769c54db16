import { type ClientError, ConnectionError, ResponseError } from './errors.js'
import type { SseClientOptions } from './options.js'
import { backoffDelay, clampDelay } from './reconnect.js'
import type { ClientStatus, CloseReason } from './status.js'
import type { Transport, TransportRequest } from './transport.js'

/** What the lifecycle drives, and where it reports. */
export interface LifecycleHooks {
  /**
   * Before each attempt, once the headers are known: the request to make. Reads
   * the resume position now, and starts the delivery stage on a new stream.
   */
  request(headers: Record<string, string> | undefined): Omit<TransportRequest, 'signal'>
  /** A chunk of the stream. */
  data(chunk: Uint8Array | string): void
  /** An attempt ended; `healthy` when bytes arrived on it. */
  settled(healthy: boolean): void
  status(status: ClientStatus): void
  report(error: ClientError): void
  /** Reports an error thrown by application code (the `onHttpError` hook). */
  rethrow(error: unknown): void
}

/** The connection's state machine; see {@link createLifecycle}. */
export interface Lifecycle {
  readonly status: ClientStatus
  /** The server announced its heartbeat: derive the idle timeout from it. */
  heartbeat(ms: number): void
  /** The server's `retry:`: the floor of every later reconnection delay. */
  retry(ms: number): void
  close(reason?: CloseReason): void
}

type GlobalLike = {
  addEventListener?: (type: string, listener: () => void, options: { signal: AbortSignal }) => void
  document?: GlobalLike & { visibilityState?: string }
}

/**
 * The lifecycle of a client, the same whatever the transport: `connecting`, then
 * `open` / `reconnecting` until `closed`. Owns every timer (the reconnection
 * wait, the connect timeout, the idle timeout), the backoff policy, the status,
 * and the browser wake-ups (`online`, `visibilitychange`).
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
 */
export const createLifecycle = (
  transport: Transport,
  options: SseClientOptions,
  hooks: LifecycleHooks,
): Lifecycle => {
  const { reconnect = {}, onHttpError, signal, idleTimeoutMs, connectTimeoutMs = 20_000 } = options
  const env = globalThis as GlobalLike
  const doc = env.document

  const lifetime = new AbortController()
  let status: ClientStatus = { state: 'connecting' }
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
  let received = false

  const setStatus = (next: ClientStatus): void => {
    status = next
    hooks.status(next)
  }
  const idleTimeout = (): number => idleTimeoutMs ?? (heartbeat && heartbeat * 2 + 5000)

  // One timer per connection, re-armed for the remaining time rather than reset on
  // every chunk. Date.now() (not a monotonic clock) so that a page frozen in the
  // background finds its stream stale when it thaws.
  const checkIdle = (): void => {
    clearTimeout(idleTimer)
    const ms = idleTimeout()
    if (!ms || !controller || status.state !== 'open') return
    const left = lastActivity + ms - Date.now()
    if (left > 0) idleTimer = setTimeout(checkIdle, clampDelay(left))
    else dead(ms)
  }
  const dead = (ms: number): void =>
    controller?.abort(new ConnectionError('idle_timeout', `No data for ${ms} ms`))

  const connect = async (): Promise<void> => {
    retryTimer = undefined
    const ctrl = new AbortController()
    controller = ctrl
    received = false
    let error: ResponseError | ConnectionError | undefined
    let stopped = false
    // Until the server accepts: it may take the connection and never answer.
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
      stopped = !(await transport.connect(
        { ...hooks.request(headers), signal: ctrl.signal },
        (name) => {
          clearTimeout(connectTimer)
          lastActivity = Date.now()
          setStatus({ state: 'open', transport: name })
          checkIdle()
        },
        (chunk) => {
          lastActivity = Date.now()
          received = true
          hooks.data(chunk)
        },
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
    if (received) attempt = 0
    hooks.settled(received)
    if (stopped) return finish('no-content')
    let retry = true
    let floor = serverRetry
    if (error instanceof ResponseError) {
      let decision: string | undefined
      try {
        decision = (await onHttpError?.(error, { attempt: attempt + 1 })) ?? undefined
      } catch (hookError) {
        hooks.rethrow(hookError)
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
    if (error) hooks.report(Object.assign(error, { willRetry: retry }))
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
    get status() {
      return status
    },
    heartbeat(ms) {
      heartbeat = ms
      checkIdle()
    },
    retry(ms) {
      serverRetry = ms
    },
    close,
  }
}
