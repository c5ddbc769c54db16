import { EncodeError } from './errors.js'

/**
 * One event as it travels on the wire, before encoding or after parsing.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export interface SseMessage {
  /**
   * Sets the stream's last event ID (an empty string resets it). Must not contain
   * CR, LF or NUL: a parser would end the line there or ignore the field.
   */
  readonly id?: string | undefined
  /**
   * The event type; parsers report `message` when it is missing or empty. Must
   * not contain CR, LF or NUL.
   */
  readonly event?: string | undefined
  /**
   * The payload text. Each line break (CRLF, LF or CR) starts a new `data:`
   * line, so a parser reads every line break back as LF.
   */
  readonly data: string
  /** A reconnection delay hint in milliseconds (a non-negative integer). */
  readonly retry?: number | undefined
}

const LINE_BREAK = /\r\n|\r|\n/
const FORBIDDEN = /[\r\n\0]/

function checkField(name: 'id' | 'event', value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new EncodeError(
      'invalid_field',
      `An SSE "${name}" field must be a string: got ${typeof value}.`,
    )
  }
  if (FORBIDDEN.test(value)) {
    throw new EncodeError(
      'invalid_field',
      `An SSE "${name}" field cannot contain CR, LF or NUL: got ${JSON.stringify(value)}. ` +
        `Remove the line breaks from the ${name === 'id' ? 'id' : 'event name'}.`,
    )
  }
}

// A parser strips exactly one space after the colon, so a value starting with a
// space keeps it only behind a separator space; other values need none.
const line = (name: string, value: string): string =>
  value.charCodeAt(0) === 0x20 ? `${name}: ${value}\n` : `${name}:${value}\n`

/**
 * Encodes one event into the exact text a standard parser (an `EventSource`, or
 * {@link createParser}) reads back as the same event: `id`, `event` and `retry`
 * lines, one `data:` line per line of `data`, and the blank line that dispatches
 * it. Encode once and write the result to every connection.
 *
 * What comes back from a parser: the same `data` with every CRLF or CR turned
 * into LF; the same `event`, or `message` when it is missing or empty; the same
 * `id`, or none when it is empty (an empty `id` resets the last event ID). Lone
 * surrogates in any field become U+FFFD once the text is written as UTF-8.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * @example
 * encodeEvent({ id: 'k3-7', event: 'server-time', data: '{"time":1}' })
 * // 'id:k3-7\nevent:server-time\ndata:{"time":1}\n\n'
 *
 * @throws {EncodeError} (code `invalid_field`) when `id` or `event` contains CR,
 * LF or NUL, `data` is not a string, or `retry` is not a non-negative safe integer.
 */
export function encodeEvent(message: SseMessage): string {
  let out = ''
  const { id, event, data, retry } = message
  if (id !== undefined) {
    checkField('id', id)
    out += line('id', id)
  }
  if (event !== undefined) {
    checkField('event', event)
    out += line('event', event)
  }
  if (retry !== undefined) out += retryLine(retry)
  if (typeof data !== 'string') {
    throw new EncodeError('invalid_field', `SSE "data" must be a string: got ${typeof data}.`)
  }
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    out += line('data', data)
  } else {
    for (const part of data.split(LINE_BREAK)) out += line('data', part)
  }
  return `${out}\n`
}

/**
 * Encodes a comment: parsers ignore it (a Tidings client reads it as a sign of
 * life), so it serves as a heartbeat or padding. Each line of `text` becomes its
 * own comment line, so a comment can never end or alter an event.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * @example
 * encodeComment() // ':\n'
 * encodeComment('tidings heartbeat=15000') // ': tidings heartbeat=15000\n'
 */
export function encodeComment(text = ''): string {
  if (text.indexOf('\n') === -1 && text.indexOf('\r') === -1) {
    return text.length > 0 ? `: ${text}\n` : ':\n'
  }
  let out = ''
  for (const part of text.split(LINE_BREAK)) out += part.length > 0 ? `: ${part}\n` : ':\n'
  return out
}

function retryLine(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new EncodeError(
      'invalid_field',
      `An SSE "retry" field must be a non-negative integer number of milliseconds: got ${ms}.`,
    )
  }
  return `retry:${ms}\n`
}

/**
 * Encodes a standalone `retry:` field followed by a blank line: it dispatches
 * nothing but sets the client's reconnection delay.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-reconnection-time
 *
 * @example
 * encodeRetry(2000) // 'retry:2000\n\n'
 *
 * @throws {EncodeError} (code `invalid_field`) when `ms` is not a non-negative safe integer.
 */
export function encodeRetry(ms: number): string {
  return `${retryLine(ms)}\n`
}
