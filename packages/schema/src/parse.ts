import { ParseError } from './errors.js'

/**
 * One dispatched event, as the standard's "dispatch the event" steps produce it.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage
 */
export interface ParsedEvent {
  /**
   * The event type: the value of the block's last `event` field, or `message`
   * when the block had none (or an empty one).
   */
  readonly event: string
  /** The values of the block's `data` fields joined with LF (no trailing LF). */
  readonly data: string
  /**
   * The stream's last event ID at dispatch time: set by an `id` field and kept by
   * later events until another `id` field changes it, even when the block that
   * set it dispatched nothing. `undefined` when it is empty.
   */
  readonly id: string | undefined
}

/**
 * Callbacks and limits of {@link createParser}.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export interface ParserOptions {
  /** Called for every dispatched event, in stream order. */
  onEvent: (event: ParsedEvent) => void
  /**
   * Called for every `retry` field whose value is ASCII digits only (others are
   * ignored, as the standard says), with the value in milliseconds. Values past
   * `Number.MAX_SAFE_INTEGER` are reported as `Number.MAX_SAFE_INTEGER`.
   */
  onRetry?: ((ms: number) => void) | undefined
  /**
   * Called for every comment line (a line starting with `:`), with the text after
   * the colon and one optional space. The standard ignores comments; Tidings uses
   * them as heartbeats.
   */
  onComment?: ((comment: string) => void) | undefined
  /**
   * The longest line, and the largest `data` of one event, in UTF-16 code units.
   * Past it `feed` throws a {@link ParseError} (code `line_too_long`), the
   * parser drops the event being built and skips the rest of its block, up to
   * the next blank line, so memory stays bounded by about this size.
   * @defaultValue 1048576 (1 MiB)
   */
  maxLineLength?: number | undefined
  /**
   * The last event ID the stream starts from, as a reconnecting `EventSource`
   * keeps it: events report it until the stream sends an `id` field.
   * @defaultValue `''` (none)
   */
  lastEventId?: string | undefined
}

/**
 * A streaming `text/event-stream` parser: feed it chunks as they arrive.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
export interface Parser {
  /**
   * Parses a chunk: bytes (UTF-8, split anywhere, even inside a character or
   * between the CR and LF of a CRLF) or already decoded text. Events complete in
   * the chunk are dispatched before `feed` returns; an unfinished line or event
   * waits for the next chunk. Do not mix bytes and text within one stream.
   *
   * Feed bytes when you can: then the parser decodes exactly as the standard
   * says. Text is taken as decoded already; one leading U+FEFF is still stripped
   * from it, in case its decoder kept the BOM (Node's `string_decoder` does).
   * Text from a decoder that already stripped the BOM would lose a second one.
   *
   * @throws {ParseError} when a line or an event exceeds `maxLineLength`. The rest
   * of the chunk is kept: the next `feed` call (even `feed('')`) continues with it.
   * An exception thrown by a callback propagates the same way.
   */
  feed(chunk: string | Uint8Array): void
  /**
   * Forgets everything not yet dispatched (partial line, event being built,
   * undecoded bytes) and starts a new stream: a leading BOM is stripped again. The
   * last event ID becomes `options.lastEventId`, or `''` without it; to keep the
   * current one across a reconnect, pass `{ lastEventId: parser.lastEventId }`.
   */
  reset(options?: { lastEventId?: string | undefined }): void
  /**
   * The stream's last event ID as an `EventSource` would send it in
   * `Last-Event-ID` when reconnecting: updated at every blank line (so also by a
   * block that sets an `id` but dispatches nothing), `''` when there is none.
   *
   * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#concept-event-stream-last-event-id
   */
  readonly lastEventId: string
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const SPACE = 0x20
const BOM = 0xfeff
const LINE_ENDS = /\r\n?/g
const DIGITS = /^\d+$/

// Discard states after a size-limit error: the rest of the over-long line, then
// every line up to the blank line that ends the broken block.
const KEEP = 0
const SKIP_LINE = 1
const SKIP_BLOCK = 2

/**
 * Where a possibly unfinished UTF-8 sequence (a lead byte and fewer continuation
 * bytes than it announces) starts at the end of `bytes`, or `bytes.length`.
 * See https://encoding.spec.whatwg.org/#utf-8-decoder
 */
function incompleteTail(bytes: Uint8Array): number {
  const end = bytes.length
  for (let i = end - 1; i >= 0 && i >= end - 3; i--) {
    const byte = bytes[i]!
    if (byte < 0x80) break
    // An invalid sequence may count as unfinished too: harmless, the chunk then
    // goes to the streaming decoder, which gives the right U+FFFD either way.
    if (byte >= 0xc0) return end - i < (byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2) ? i : end
  }
  return end
}

/** Whether `text` holds `name` at `start`; its first character is known to match. */
function hasName(text: string, start: number, name: string): boolean {
  for (let k = 1; k < name.length; k++) {
    if (text.charCodeAt(start + k) !== name.charCodeAt(k)) return false
  }
  return true
}

/**
 * Where the value of a field whose name ends at `from` starts: `from` itself for
 * a line with no colon, past the colon and one optional space, or -1 when the
 * name goes on (an unknown field). `text[end]` is LF, so no check runs past the line.
 */
function valueStart(text: string, from: number, end: number): number {
  if (from === end) return from
  if (text.charCodeAt(from) !== COLON) return -1
  return text.charCodeAt(from + 1) === SPACE ? from + 2 : from + 1
}

/**
 * Creates a spec-exact streaming parser for `text/event-stream`, as the WHATWG
 * HTML standard defines it: UTF-8 decoding across chunk boundaries, one leading
 * BOM stripped, CRLF/LF/CR line ends (even split across chunks), comments,
 * fields with or without a colon and with one leading space stripped from the
 * value, `data` lines joined with LF, empty data not dispatched, the event type
 * reset after every block, `id` persisting across events (ignored when it holds
 * NUL, reset when empty), `retry` only as ASCII digits, unknown fields ignored.
 * A block not ended by a blank line is never dispatched.
 *
 * Callbacks may call `reset()` (the rest of the chunk is then dropped) or
 * `feed()` (that text is parsed after the current chunk).
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * @example
 * const parser = createParser({ onEvent: (e) => console.log(e.event, e.data, e.id) })
 * parser.feed(new TextEncoder().encode('id: 7\nevent: ping\ndata: 1\n\n'))
 * // logs: ping 1 7
 */
export function createParser(options: ParserOptions): Parser {
  if (typeof options?.onEvent !== 'function') {
    throw new TypeError('Expected `createParser({ onEvent: fn })`.')
  }
  const { onEvent, onRetry, onComment, maxLineLength: max = 1024 * 1024 } = options
  if (!(max > 0)) throw new RangeError(`maxLineLength must be positive: got ${max}.`)

  // Two decoders, for speed: in Node one never used with `stream: true` is
  // several times faster on ASCII, one that has been is faster on other text.
  // The streaming one also keeps a character split between chunks, so the fast
  // one only ever sees whole characters. `ignoreBOM` keeps U+FEFF, so that the
  // parser strips exactly one, at the very start of the stream, as the
  // standard's "UTF-8 decode" does.
  const asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
  const streamDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
  // The streaming decoder holds nothing and the last chunk was ASCII.
  let fast = true
  let started = false
  // Text of an unfinished line (never holds CR or LF).
  let pending = ''
  // Text still to parse: left by an exception in the middle of a chunk, or fed
  // from inside a callback.
  let backlog = ''
  let parsing = false
  // Bumped by reset(), so a parse running a callback that resets stops there.
  let generation = 0
  // The previous text ended with CR: an LF starting the next one is its other half.
  let skipLF = false
  let skip = KEEP
  // The standard's buffers. `data` holds an LF after every value, so it is
  // empty only until the block's first `data` field.
  let data = ''
  let type = ''
  let id = options.lastEventId ?? ''
  let lastEventId = id

  const tooLong = (what: string, next: number): ParseError => {
    skip = next
    data = ''
    type = ''
    return new ParseError(
      'line_too_long',
      `The stream sent ${what} over maxLineLength (${max} characters); that event was dropped.`,
    )
  }

  const dispatch = (value: string): void => {
    const event: ParsedEvent = { event: type || 'message', data: value, id: id || undefined }
    data = ''
    type = ''
    onEvent(event)
  }

  /**
   * Parses decoded text. Positions move past a line before it is processed, so
   * when a callback (or the size limit) throws, `text.slice(position)` is
   * exactly what is left; it goes to the backlog for the next `feed`.
   */
  const parse = (input: string): void => {
    const gen = generation
    let text = input
    if (!started) {
      started = true
      if (text.charCodeAt(0) === BOM) text = text.slice(1)
    }
    if (skipLF && text.charCodeAt(0) === LF) text = text.slice(1)
    skipLF = false
    // A CR ending the text ends a line now; an LF starting the next is dropped.
    const endsWithCR = text.charCodeAt(text.length - 1) === CR
    if (text.includes('\r')) text = text.replace(LINE_ENDS, '\n')
    let position = 0
    try {
      if (skip === SKIP_LINE || pending.length !== 0) {
        // Only the new text is searched, so a long line fed in small chunks
        // stays linear.
        const end = text.indexOf('\n')
        if (end === -1) {
          position = text.length
          if (skip === KEEP) {
            if (pending.length + text.length > max) {
              pending = ''
              throw tooLong('a line', SKIP_LINE)
            }
            pending += text
          }
          return
        }
        if (skip === SKIP_LINE) {
          skip = SKIP_BLOCK
          position = end + 1
        } else {
          // The line an earlier text began, parsed on its own: a concatenated
          // text would be a slower string (a rope) for the whole loop.
          const head = pending + text.slice(0, end + 1)
          pending = ''
          position = end + 1
          parse(head)
          if (generation !== gen) return
        }
      }
      for (let end = text.indexOf('\n', position); end !== -1; end = text.indexOf('\n', position)) {
        const start = position
        position = end + 1
        if (skip !== KEEP) {
          // Skipping the block broken by a size-limit error, up to its blank line.
          if (start === end) {
            skip = KEEP
            lastEventId = id
          }
          continue
        }
        if (end - start > max) throw tooLong('a line', SKIP_BLOCK)
        const first = text.charCodeAt(start)
        if (start === end) {
          // A blank line: the "dispatch the event" steps.
          lastEventId = id
          if (data.length === 0) type = ''
          else dispatch(data.slice(0, -1))
        } else if (first === 0x64) {
          // `data`, by far the most common field, is matched inline: faster.
          const from =
            text.charCodeAt(start + 1) === 0x61 &&
            text.charCodeAt(start + 2) === 0x74 &&
            text.charCodeAt(start + 3) === 0x61
              ? valueStart(text, start + 4, end)
              : -1
          if (from === -1) continue
          if (data.length + end - from > max) throw tooLong('an event', SKIP_BLOCK)
          if (text.charCodeAt(position) !== LF) {
            data += text.slice(from, position)
            continue
          }
          // A blank line follows, the usual case: dispatch at once, without
          // adding an LF only to remove it again.
          position++
          lastEventId = id
          dispatch(data + text.slice(from, end))
        } else if (first === COLON) {
          if (onComment === undefined) continue
          onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end))
        } else {
          const name =
            first === 0x65 ? 'event' : first === 0x69 ? 'id' : first === 0x72 ? 'retry' : ''
          const from =
            name !== '' && hasName(text, start, name)
              ? valueStart(text, start + name.length, end)
              : -1
          if (from === -1) continue
          const value = text.slice(from, end)
          if (name === 'event') type = value
          else if (name === 'id') {
            if (!value.includes('\0')) id = value
          } else if (onRetry !== undefined && DIGITS.test(value)) {
            onRetry(Math.min(Number(value), Number.MAX_SAFE_INTEGER))
          }
        }
        if (generation !== gen) return
      }
      if (position < text.length) {
        // An unfinished line: kept for the next chunk, within the limit; while
        // skipping, remembered as begun so that its end is not a blank line.
        if (skip !== KEEP) skip = SKIP_LINE
        else if (text.length - position > max) {
          position = text.length
          throw tooLong('a line', SKIP_LINE)
        } else pending = text.slice(position)
        position = text.length
      }
    } finally {
      if (generation === gen) {
        if (position < text.length) {
          // Left by an exception: parsed by the next feed, CR restored.
          backlog = (endsWithCR ? `${text.slice(position, -1)}\r` : text.slice(position)) + backlog
        } else skipLF = endsWithCR
      }
    }
  }

  return {
    feed(chunk) {
      let text = chunk
      if (typeof text !== 'string') {
        if (fast && incompleteTail(text) === text.length) {
          text = asciiDecoder.decode(text)
        } else {
          // Back to the fast decoder only once an ASCII byte ended a chunk: the
          // streaming one then holds nothing.
          fast = text[text.length - 1]! < 0x80
          text = streamDecoder.decode(text, { stream: true })
        }
        fast &&= text.length === chunk.length
      }
      backlog += text
      // From a callback: parsed once the current text is.
      if (parsing) return
      parsing = true
      try {
        while (backlog.length !== 0) {
          const next = backlog
          backlog = ''
          parse(next)
        }
      } finally {
        parsing = false
      }
    },
    reset(resetOptions) {
      generation++
      streamDecoder.decode()
      fast = true
      started = false
      pending = ''
      backlog = ''
      skipLF = false
      skip = KEEP
      data = ''
      type = ''
      id = resetOptions?.lastEventId ?? ''
      lastEventId = id
    },
    get lastEventId() {
      return lastEventId
    },
  }
}
