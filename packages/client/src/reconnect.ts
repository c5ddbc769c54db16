/**
 * How a client spaces its reconnection attempts: exponential backoff with
 * jitter, never sooner than the server's `retry:` field (or `Retry-After`), and
 * back to the first step after a healthy connection.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
 *
 * @example
 * // Retry quickly at first, at most every 10 s, and give up after 20 failures in a row.
 * createClient(events, '/events', { reconnect: { initialDelayMs: 250, maxDelayMs: 10_000, maxAttempts: 20 } })
 */
export interface ReconnectOptions {
  /**
   * The upper bound of the first attempt's delay; each further attempt doubles it.
   * @defaultValue 1000
   */
  initialDelayMs?: number | undefined
  /**
   * The largest bound the doubling reaches.
   * @defaultValue 30000
   */
  maxDelayMs?: number | undefined
  /**
   * How much of the bound is randomised, from 0 (always wait the bound) to 1
   * ("full jitter": a uniform delay between 0 and the bound), so that clients
   * dropped together do not come back together.
   * @defaultValue 1
   */
  jitter?: number | undefined
  /**
   * How many attempts in a row may fail before the client gives up and closes
   * (counted since the last healthy connection). `0` never reconnects.
   * @defaultValue Infinity
   */
  maxAttempts?: number | undefined
}

/**
 * The longest delay the client waits for anything (a reconnection, `retry:`,
 * `Retry-After`, the idle timeout): 2^31 - 1 ms, about 24.8 days, the most a
 * timer can hold. Longer delays are clamped to it: `setTimeout` would fire them
 * after about 1 ms instead.
 */
export const MAX_DELAY_MS = 2 ** 31 - 1

/** `ms` within what a timer can wait: between 0 and {@link MAX_DELAY_MS}. */
export const clampDelay = (ms: number): number => Math.min(Math.max(ms, 0), MAX_DELAY_MS) || 0

/**
 * The delay before attempt `attempt` (from 1): a jittered
 * `min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1))`, at least `floorMs`
 * (the server's `retry:` or `Retry-After`), at most {@link MAX_DELAY_MS}.
 */
export const backoffDelay = (
  options: ReconnectOptions,
  attempt: number,
  floorMs: number,
  random: () => number = Math.random,
): number => {
  const bound = Math.min(
    options.maxDelayMs ?? 30_000,
    (options.initialDelayMs ?? 1000) * 2 ** (attempt - 1),
  )
  return clampDelay(Math.max(floorMs, Math.round(bound * (1 - (options.jitter ?? 1) * random()))))
}
