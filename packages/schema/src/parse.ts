import { ParseError } from './errors.js'

/**
 * One dispatched event, as the standard's "dispatch the event" step produces it.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage
 */
export interface ParsedEvent {
  /** The event type: the last `event:` field of the block, or `message`. */
  readonly event: string
  /** The `data:` lines joined with LF. */
  readonly data: string
  /**
   * The stream's last event ID at dispatch time: set by an `id:` field and kept
   * by later events until another `id:` field changes it. `undefined` when empty.
   */
  readonly id: string | undefined
}

/** Callbacks and limits of {@link createParser}. */
export interface ParserOptions {
  /** Called for every dispatched event. */
  onEvent: (event: ParsedEvent) => void
  /** Called for a valid `retry:` field (ASCII digits only), in milliseconds. */
  onRetry?: ((ms: number) => void) | undefined
  /** Called for a comment line, without the colon and one leading space. */
  onComment?: ((comment: string) => void) | undefined
  /**
   * The longest line, and the largest `data` of one event, in UTF-16 code units.
   * Past it `feed` throws a {@link ParseError} and the parser drops the partial event.
   * @defaultValue 1048576 (1 MiB)
   */
  maxLineLength?: number | undefined
  /** The last event ID the stream starts from (to keep it across a reconnect). */
  lastEventId?: string | undefined
}

/** A streaming parser: feed it chunks as they arrive. */
export interface Parser {
  /** Parses a chunk: bytes (UTF-8, split anywhere) or already decoded text. */
  feed(chunk: string | Uint8Array): void
  /**
   * Forgets the partial line and event and starts a new stream (a leading BOM is
   * stripped again). The last event ID is reset to `lastEventId`.
   */
  reset(options?: { lastEventId?: string | undefined }): void
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20

/**
 * Creates a spec-exact parser for `text/event-stream`.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * @example
 * const parser = createParser({ onEvent: (e) => console.log(e.event, e.data) })
 * parser.feed(new TextEncoder().encode('event: ping\ndata: 1\n\n'))
 */
export function createParser(options: ParserOptions): Parser {
  if (typeof options !== 'object' || options === null || typeof options.onEvent !== 'function') {
    throw new TypeError(
      'createParser expects an options object with an onEvent function. Did you mean `createParser({ onEvent: fn })`?',
    )
  }
  const { onEvent, onRetry, onComment } = options
  const maxLine = options.maxLineLength ?? 1024 * 1024

  let decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let started = false
  let pending = ''
  let skipLF = false
  let data = ''
  let hasData = false
  let eventType = ''
  let lastEventId = options.lastEventId ?? ''

  const fail = (what: string): never => {
    pending = ''
    data = ''
    hasData = false
    eventType = ''
    throw new ParseError(
      'line_too_long',
      `The event stream sent ${what} longer than ${maxLine} characters; raise maxLineLength if this is expected.`,
    )
  }

  const dispatch = (): void => {
    if (!hasData) {
      eventType = ''
      return
    }
    const event: ParsedEvent = {
      event: eventType === '' ? 'message' : eventType,
      data,
      id: lastEventId === '' ? undefined : lastEventId,
    }
    data = ''
    hasData = false
    eventType = ''
    onEvent(event)
  }

  const processLine = (text: string, start: number, end: number): void => {
    if (start === end) {
      dispatch()
      return
    }
    const first = text.charCodeAt(start)
    if (first === COLON) {
      if (onComment) {
        const from = text.charCodeAt(start + 1) === SPACE && start + 1 < end ? start + 2 : start + 1
        onComment(text.slice(from, end))
      }
      return
    }
    let colon = text.indexOf(':', start)
    if (colon === -1 || colon >= end) colon = end
    let valueStart = colon + 1
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart++
    const fieldLength = colon - start
    // Compare field names in place: slicing every name would allocate per line.
    if (fieldLength === 4 && text.startsWith('data', start)) {
      const value = valueStart >= end ? '' : text.slice(valueStart, end)
      if (hasData) {
        if (data.length + value.length + 1 > maxLine) fail('an event')
        data += `\n${value}`
      } else {
        data = value
        hasData = true
      }
    } else if (fieldLength === 5 && text.startsWith('event', start)) {
      eventType = valueStart >= end ? '' : text.slice(valueStart, end)
    } else if (fieldLength === 2 && text.startsWith('id', start)) {
      const value = valueStart >= end ? '' : text.slice(valueStart, end)
      if (value.indexOf('\0') === -1) lastEventId = value
    } else if (fieldLength === 5 && text.startsWith('retry', start)) {
      if (onRetry && valueStart < end) {
        const value = text.slice(valueStart, end)
        if (/^[0-9]+$/.test(value)) onRetry(Number.parseInt(value, 10))
      }
    }
  }

  const processText = (chunk: string): void => {
    let text = chunk
    if (!started) {
      if (text.length === 0) return
      started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    if (skipLF) {
      skipLF = false
      if (text.charCodeAt(0) === LF) text = text.slice(1)
    }
    if (pending.length > 0) {
      text = pending + text
      pending = ''
    }
    const length = text.length
    let position = 0
    let nextLF = text.indexOf('\n')
    let nextCR = text.indexOf('\r')
    while (position < length) {
      if (nextLF !== -1 && nextLF < position) nextLF = text.indexOf('\n', position)
      if (nextCR !== -1 && nextCR < position) nextCR = text.indexOf('\r', position)
      let end: number
      if (nextCR === -1) end = nextLF
      else if (nextLF === -1) end = nextCR
      else end = nextCR < nextLF ? nextCR : nextLF
      if (end === -1) {
        if (length - position > maxLine) fail('a line')
        pending = text.slice(position)
        return
      }
      if (end - position > maxLine) fail('a line')
      processLine(text, position, end)
      if (text.charCodeAt(end) === CR) {
        if (end + 1 === length) {
          // A CR ending the chunk may be the first half of a CRLF split across chunks.
          skipLF = true
          position = end + 1
        } else {
          position = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1
        }
      } else {
        position = end + 1
      }
    }
  }

  return {
    feed(chunk) {
      processText(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
    },
    reset(resetOptions) {
      decoder = new TextDecoder('utf-8', { ignoreBOM: true })
      started = false
      pending = ''
      skipLF = false
      data = ''
      hasData = false
      eventType = ''
      lastEventId = resetOptions?.lastEventId ?? ''
    },
  }
}
