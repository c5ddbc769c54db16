import type { EndInfo, GapInfo } from '@tidings/schema'
import type { ClientError } from './errors.js'
import type { TransportName } from './transport.js'

/**
 * Where the connection stands. Read it as `client.status`, or follow it with
 * `client.on('tidings:status', handler)`.
 *
 * - `connecting`: the first request is under way;
 * - `open`: the server answered with an event stream, over `transport`;
 * - `reconnecting`: the stream ended or failed; attempt number `attempt` (from 1,
 *   counted since the last healthy connection) starts in `delayMs` and stays in
 *   this state until it opens;
 * - `closed`: for good; `reason` says why (see {@link CloseReason}), and `error`
 *   holds the error that ended it, if one did.
 *
 * @example
 * client.on('tidings:status', (status) => {
 *   if (status.state === 'reconnecting') banner(`Reconnecting in ${status.delayMs} ms`)
 *   if (status.state === 'closed' && status.error) banner(status.error.message)
 * })
 */
export type ClientStatus =
  | { readonly state: 'connecting' }
  | { readonly state: 'open'; readonly transport: TransportName }
  | { readonly state: 'reconnecting'; readonly attempt: number; readonly delayMs: number }
  | {
      readonly state: 'closed'
      readonly reason: CloseReason
      readonly error?: ClientError | undefined
    }

/**
 * Why a client closed, so that an app tells a deliberate end from a failure:
 * - `close`: `client.close()` was called;
 * - `signal`: the `signal` option aborted;
 * - `no-content`: the server said stop (HTTP 204, or WebSocket close code 4204).
 *   A Tidings server answers so a client that resumes after the end of all its
 *   topics (a page reloaded with the id of the end event): the end was already
 *   processed, so nothing is repeated. The client does not know the reason
 *   then; `readHistory` does;
 * - `fatal-status`: the server refused with a status that is not retried (a
 *   `ResponseError` in `error`), or one that is, past `maxAttempts`;
 * - `fatal-error`: any other error past `maxAttempts` (in `error`);
 * - `ended`: every topic of the client ended (its `'tidings:end'` event came for
 *   each): there is nothing more to wait for, so the client does not reconnect.
 *
 * @example
 * client.on('tidings:status', (status) => {
 *   if (status.state === 'closed' && status.reason.startsWith('fatal')) showOffline()
 * })
 */
export type CloseReason =
  | 'close'
  | 'signal'
  | 'no-content'
  | 'fatal-status'
  | 'fatal-error'
  | 'ended'

/** One of {@link ClientStatus}'s states. */
export type ClientState = ClientStatus['state']

/**
 * The lifecycle events a client emits beside the contract's events, and what
 * their handlers receive. Their names start with `tidings:`, which
 * `defineEvents` refuses in a contract, so they cannot collide.
 */
export interface LifecycleEvents {
  /** The status changed. */
  'tidings:status': ClientStatus
  /** Something went wrong; `willRetry` (HTTP and connection errors) says what happens next. */
  'tidings:error': ClientError
  /**
   * The server could not resume from the last event id: events may have been
   * missed. Refetch the state the stream keeps up to date.
   */
  'tidings:gap': GapInfo
  /**
   * A topic ended for good (`emitter.to(topic).end(reason)` on the server): the
   * last event of that topic, delivered once, like any event with an id. The
   * client drops the topic from later reconnects, and closes (reason `ended`)
   * once every one of its topics ended. `client.ended(topic)` is the same as a
   * promise.
   */
  'tidings:end': EndInfo
}
