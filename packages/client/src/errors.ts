import {
  type ContractError,
  isTidingsError,
  type ParseError,
  TidingsError,
  type ValidationError,
} from '@tidings/schema'

/** Codes of the errors `@tidings/client` reports. */
export type ClientErrorCode =
  | 'http_status'
  | 'content_type'
  | 'invalid_body'
  | 'network'
  | 'connect_timeout'
  | 'idle_timeout'
  | 'headers'

/**
 * The server answered, but not with an event stream: a status other than 200
 * (`code: 'http_status'`; over WebSocket, a close code `4000 + status`), or a 200
 * whose `Content-Type` is not `text/event-stream` (`code: 'content_type'`).
 * `readHistory` throws it too: for a status other than 200, a body that is not
 * `application/json` (`content_type`), or JSON that is not a history page
 * (`invalid_body`).
 *
 * By default 5xx and 429 are retried with backoff and everything else is fatal;
 * the `onHttpError` option can decide otherwise (for example refresh a token on 401).
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#dom-eventsource
 * (the standard fails the connection on any error status; Tidings departs from it
 * for 5xx and 429 so a deploy does not strand every client).
 *
 * @example
 * client.on('tidings:error', (error) => {
 *   if (error instanceof ResponseError && error.status === 403) showForbidden()
 * })
 */
export class ResponseError extends TidingsError<'http_status' | 'content_type' | 'invalid_body'> {
  override name = 'ResponseError'
  /** The HTTP status code of the response. */
  readonly status: number
  /** The delay the server asked for with `Retry-After` (429, 503), in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** Whether the client will reconnect after this error (false: it is now closed). */
  readonly willRetry: boolean = false

  constructor(
    code: 'http_status' | 'content_type' | 'invalid_body',
    status: number,
    message: string,
    retryAfterMs?: number,
  ) {
    super(code, message)
    this.status = status
    this.retryAfterMs = retryAfterMs
  }
}

/**
 * The connection could not be made or kept: the request or the stream failed at
 * the network level (`network`), no response came within `connectTimeoutMs`
 * (`connect_timeout`), the stream went silent past the idle timeout
 * (`idle_timeout`), or the `headers` function threw (`headers`). The original
 * error, when there is one, is the `cause`. Retried with backoff.
 *
 * @example
 * client.on('tidings:error', (error) => {
 *   if (error instanceof ConnectionError && !error.willRetry) showOffline()
 * })
 */
export class ConnectionError extends TidingsError<
  'network' | 'connect_timeout' | 'idle_timeout' | 'headers'
> {
  override name = 'ConnectionError'
  /** Whether the client will reconnect after this error (false: it is now closed). */
  readonly willRetry: boolean = false
}

/**
 * True for a {@link ResponseError}, even one from another realm or a duplicated
 * install, where `instanceof` fails.
 *
 * @example
 * client.on('tidings:error', (error) => {
 *   if (isResponseError(error) && error.status === 401) signIn()
 * })
 */
export function isResponseError(error: unknown): error is ResponseError {
  return (
    error instanceof ResponseError ||
    (isTidingsError(error) &&
      error.name === 'ResponseError' &&
      typeof (error as { status?: unknown }).status === 'number')
  )
}

/**
 * Everything the client reports on `'tidings:error'`. Branch with `instanceof`
 * (or `error.name`):
 * - {@link ResponseError}: an error status or a wrong content type;
 * - {@link ConnectionError}: network failure, idle timeout, `headers` function failure;
 * - `ParseError`: a line or an event passed `maxLineLength`; that event is
 *   skipped and the stream goes on;
 * - `ValidationError`: one event's payload did not decode or match its schema
 *   (`event`, `id`, `issues`); the stream goes on;
 * - `ContractError`: the contract's schema validates asynchronously (not supported).
 */
export type ClientError =
  | ResponseError
  | ConnectionError
  | ParseError
  | ValidationError
  | ContractError
