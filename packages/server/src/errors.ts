import { isTidingsError, TidingsError } from '@tidings/schema'

/** Codes of the errors a request to the emitter can be answered with. */
export type HttpErrorCode =
  | 'invalid_topic'
  | 'too_many_topics'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_limit'
  | 'method_not_allowed'
  | 'unavailable'
  | 'internal'

const STATUS: Record<HttpErrorCode, number> = {
  invalid_topic: 400,
  too_many_topics: 400,
  invalid_limit: 400,
  unauthorized: 401,
  forbidden: 403,
  method_not_allowed: 405,
  unavailable: 503,
  internal: 500,
}

/**
 * A request the emitter refuses, answered with `status` and the JSON body
 * `{"error":{"code","message"}}`. Throw one from `authorize` or `canSubscribe`
 * to choose the answer; any other error thrown there becomes a 500 and is
 * reported to `onError`.
 *
 * @example
 * authorize: (request) => {
 *   const user = users.fromToken(request.headers.get('authorization'))
 *   if (!user) throw new HttpError('unauthorized', 'Send a valid bearer token.')
 *   return user
 * }
 */
export class HttpError extends TidingsError<HttpErrorCode> {
  override name = 'HttpError'

  /** The HTTP status this error is answered with. */
  get status(): number {
    return httpStatus(this.code)
  }
}

/** The HTTP status of an error code (500 for a code this copy does not know). */
export function httpStatus(code: string): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code as HttpErrorCode] : 500
}

/**
 * True for an {@link HttpError}, across realms and duplicated installs too. An
 * object that merely has `name: 'HttpError'` is not one: only errors built by
 * a copy of this package (they carry the Tidings brand) are, so a foreign
 * error's message can never reach a response body.
 */
export function isHttpError(error: unknown): error is HttpError {
  if (error instanceof HttpError) return true
  return (
    isTidingsError(error) &&
    error.name === 'HttpError' &&
    Object.hasOwn(STATUS, (error as { code: string }).code)
  )
}

/** Codes of the errors `emit` and `to` throw for misuse (never for bad payloads). */
export type EmitErrorCode = 'invalid_topic' | 'topic_ended' | 'invalid_reason'

/**
 * A call to `emit`/`to` the emitter cannot carry out: a topic that a client
 * could never subscribe to (`invalid_topic`), or an emit to a topic that ended
 * (`topic_ended`, thrown synchronously even with a store once the process knows
 * of the end; with a store that keeps ends, such as `@tidings/redis`, the
 * returned promise rejects with it when only the store knew, because another
 * process ended the topic before this one started; nothing was stored). Payload problems throw `ValidationError`
 * from `@tidings/schema` instead.
 */
export class EmitError extends TidingsError<EmitErrorCode> {
  override name = 'EmitError'
}

/** Codes of the errors a stream is ended with on the Fetch path. */
export type StreamErrorCode = 'slow_consumer' | 'destroyed'

/**
 * The error a Fetch stream body is aborted with when the server cuts it off: a
 * slow consumer past `maxBufferBytes`, or a stream torn down. (A Node response
 * is destroyed instead.) The client resumes from its last id.
 */
export class StreamError extends TidingsError<StreamErrorCode> {
  override name = 'StreamError'
}

/** Codes of {@link OptionError}. */
export type OptionErrorCode = 'invalid_option'

/**
 * An option of `createEmitter` (or `close`) that cannot work: not a number, not
 * finite where a finite value is needed, or outside its documented range.
 * Thrown at once, so a bad configuration fails at start-up rather than as a
 * storm of 1 ms timers later. `option` names it.
 */
export class OptionError extends TidingsError<OptionErrorCode> {
  override name = 'OptionError'
  readonly option: string

  constructor(option: string, message: string) {
    super('invalid_option', message)
    this.option = option
  }
}

/** Codes of {@link StoreError}. */
export type StoreErrorCode = 'unavailable' | 'timeout' | 'failed'

/**
 * A shared event store (such as `@tidings/redis`) could not carry out a call:
 * `unavailable` (it cannot be reached; nothing was stored), `timeout` (no answer
 * in time: the event may or may not have been stored), `failed` (it answered
 * with an error). `emit` rejects with it; the event was not sent by this call.
 */
export class StoreError extends TidingsError<StoreErrorCode> {
  override name = 'StoreError'
}

/** Codes of {@link DependencyError}. */
export type DependencyErrorCode = 'missing_dependency'

/**
 * A feature was used whose optional peer dependency is not installed, such as
 * `emitter.upgrade` without the `ws` package. The message says what to install.
 */
export class DependencyError extends TidingsError<DependencyErrorCode> {
  override name = 'DependencyError'
}
