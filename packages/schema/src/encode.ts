import { EncodeError } from './errors.js'

/**
 * One event as it travels on the wire, before or after encoding.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export interface SseMessage {
  /** Sets the stream's last event ID. Must not contain CR, LF or NUL. */
  readonly id?: string | undefined
  /** The event type; the standard's default is `message`. Must not contain CR or LF. */
  readonly event?: string | undefined
  /** The payload text. Line breaks (CRLF, LF or CR) split it into several `data:` lines. */
  readonly data: string
  /** A reconnection delay hint in milliseconds (a non-negative integer). */
  readonly retry?: number | undefined
}

const LINE_BREAK = /\r\n|\r|\n/

function checkField(name: 'id' | 'event', value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new EncodeError(
      'invalid_field',
      `An SSE "${name}" field cannot contain CR, LF or NUL: got ${JSON.stringify(value)}.`,
    )
  }
}

// The parser strips exactly one space after the colon, so a value that starts
// with a space needs the separator space to survive; others can go without it.
const field = (name: string, value: string): string =>
  value.length > 0 && value.charCodeAt(0) !== 0x20 ? `${name}:${value}\n` : `${name}: ${value}\n`

/**
 * Encodes one event into the exact text a standard parser reads back as the same
 * event. Encode once and write the result to every connection.
 *
 * @example
 * encodeEvent({ id: 'k3-7', event: 'server-time', data: '{"time":1}' })
 * // 'id:k3-7\nevent:server-time\ndata:{"time":1}\n\n'
 *
 * @throws {EncodeError} when `id` or `event` contains CR, LF or NUL, or `retry` is not a non-negative integer.
 */
export function encodeEvent(message: SseMessage): string {
  let out = ''
  if (message.id !== undefined) {
    checkField('id', message.id)
    out += field('id', message.id)
  }
  if (message.event !== undefined) {
    checkField('event', message.event)
    out += field('event', message.event)
  }
  if (message.retry !== undefined) out += encodeRetry(message.retry).slice(0, -1)
  const { data } = message
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) {
    out += field('data', data)
  } else {
    for (const line of data.split(LINE_BREAK)) out += field('data', line)
  }
  return `${out}\n`
}

/**
 * Encodes a comment line (a heartbeat, or a padding block). Line breaks in the
 * text make several comment lines, so a comment can never end an event.
 */
export function encodeComment(text = ''): string {
  let out = ''
  for (const line of text.split(LINE_BREAK)) out += line.length > 0 ? `: ${line}\n` : ':\n'
  return out
}

/**
 * Encodes a standalone `retry:` field followed by a blank line, which dispatches
 * nothing but sets the client's reconnection delay.
 *
 * @throws {EncodeError} when `ms` is not a non-negative safe integer.
 */
export function encodeRetry(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new EncodeError('invalid_field', `An SSE "retry" field must be a non-negative integer: got ${ms}.`)
  }
  return `retry:${ms}\n\n`
}
