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
const BOM = 0xfeff
const LINE_ENDS = /\r\n?/g
const DIGITS = /^\d+$/
// What `pending` holds for a line being dropped: any text without LF would do.
const BEGUN = ':'

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
  const { onEvent, onRetry, onComment, maxLineLength: max = 2 ** 20 } = options
  if (!(max > 0)) throw new RangeError('maxLineLength must be positive.')

  // Two decoders, for speed: in Node one never used with `stream: true` is
  // several times faster on ASCII, one that has been is faster on other text.
  // The fast one only gets a chunk that ends in ASCII (so not inside a
  // character) while the streaming one holds nothing, so no character is ever
  // split between the two. `ignoreBOM` keeps U+FEFF,
  // so that the parser strips exactly one, at the very start of the stream, as
  // the standard's "UTF-8 decode" does.
  const asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
  const streamDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
  // A feed is parsing: a feed from one of its callbacks only adds to the backlog.
  let parsing = false
  // Bumped by reset(), so a parse running a callback that resets stops there.
  let generation = 0
  // The streaming decoder holds nothing and the last chunk was ASCII.
  let fast = true
  // The character dropped if it starts the next text: the BOM at the start of
  // the stream, an LF after a text that ended with CR (the other half of a CRLF).
  let lead = BOM
  // Text of an unfinished line (never holds LF).
  let pending = ''
  // Text still to parse, line ends already LF: left by an exception in the
  // middle of a text, or fed from inside a callback.
  let backlog = ''
  // After a size-limit error: dropping lines up to the blank line that ends the
  // broken block.
  let skip = false
  // The standard's buffers. `data` holds an LF after every value, so it is
  // empty only until the block's first `data` field.
  let data = ''
  let type = ''
  let id = options.lastEventId ?? ''
  let lastEventId = id

  // `rest` is what `pending` becomes: a mark that a line has begun (so that its
  // end is not taken for a blank line), or nothing.
  const tooLong = (rest: string): ParseError => {
    pending = rest
    skip = true
    data = ''
    type = ''
    return new ParseError(
      'line_too_long',
      `Line or data over maxLineLength (${max}); event dropped.`,
    )
  }

  const dispatch = (value: string): void => {
    const event: ParsedEvent = { event: type || 'message', data: value, id: id || undefined }
    lastEventId = id
    data = ''
    type = ''
    onEvent(event)
  }

  /**
   * Parses text whose line ends are LF. Positions move past a line before it is
   * processed, so when a callback (or the size limit) throws, `text.slice(position)`
   * is exactly what is left; it goes to the backlog for the next `feed`.
   */
  const parse = (text: string): void => {
    const gen = generation
    let position = 0
    // Only the new text is searched for a line end, so a long line fed in small
    // chunks stays linear.
    let end = text.indexOf('\n')
    try {
      if (end !== -1 && pending) {
        // The line an earlier text began, parsed on its own: a concatenated
        // text would be a slower string (a rope) for the whole loop.
        const head = pending + text.slice(0, end + 1)
        pending = ''
        position = end + 1
        parse(head)
        if (generation !== gen) return
        end = text.indexOf('\n', position)
      }
      for (; end !== -1; end = text.indexOf('\n', position)) {
        const start = position
        position = end + 1
        if (skip) {
          // Dropping the block broken by a size-limit error, up to its blank line.
          if (start === end) {
            skip = false
            lastEventId = id
          }
          continue
        }
        if (end - start > max) throw tooLong('')
        if (start === end) {
          // A blank line: the "dispatch the event" steps.
          if (data) dispatch(data.slice(0, -1))
          else {
            lastEventId = id
            type = ''
          }
          continue
        }
        const first = text.charCodeAt(start)
        // `data`, by far the most common field, is matched inline: faster.
        if (first === 0x64) {
          if (
            text.charCodeAt(start + 1) !== 0x61 ||
            text.charCodeAt(start + 2) !== 0x74 ||
            text.charCodeAt(start + 3) !== 0x61
          )
            continue
          let from = start + 4
          if (from !== end) {
            if (text.charCodeAt(from) !== COLON) continue
            from += text.charCodeAt(from + 1) === 0x20 ? 2 : 1
          }
          if (data.length + end - from > max) throw tooLong('')
          if (text.charCodeAt(position) !== LF) {
            // The value with its LF, in one slice.
            data += text.slice(from, position)
            continue
          }
          // A blank line follows, the usual case: dispatch at once, without
          // adding an LF only to remove it again.
          position++
          dispatch(data + text.slice(from, end))
        } else {
          let from = start
          // The field the first character can start: '' for a comment, and LF
          // (which no line starts with) for none.
          const name =
            first === 0x65
              ? 'event'
              : first === 0x69
                ? 'id'
                : first === 0x72
                  ? 'retry'
                  : first === COLON
                    ? ''
                    : '\n'
          from += name.length
          if (text.slice(start, from) !== name) continue
          if (from !== end) {
            // The name goes on: an unknown field.
            if (text.charCodeAt(from) !== COLON) continue
            from += text.charCodeAt(from + 1) === 0x20 ? 2 : 1
          }
          const value = text.slice(from, end)
          if (first === COLON) onComment?.(value)
          else if (first === 0x65) type = value
          else if (first === 0x69) {
            if (!value.includes('\0')) id = value
          } else if (DIGITS.test(value)) {
            onRetry?.(Math.min(Number(value), 2 ** 53 - 1)) // Number.MAX_SAFE_INTEGER
          }
        }
        if (generation !== gen) return
      }
      // An unfinished line, kept for the next text within the limit; while
      // skipping, only marked as begun so that its end is not a blank line.
      pending += text.slice(position)
      position = text.length
      if (skip) pending &&= BEGUN
      else if (pending.length > max) throw tooLong(BEGUN)
    } finally {
      // What an exception left (nothing otherwise): parsed by the next feed.
      if (generation === gen) backlog = text.slice(position) + backlog
    }
  }

  return {
    feed(chunk) {
      let text = chunk
      if (typeof text !== 'string') {
        const ascii = text[text.length - 1]! < 0x80
        text =
          fast && ascii ? asciiDecoder.decode(text) : streamDecoder.decode(text, { stream: true })
        fast = ascii && text.length === chunk.length
      }
      if (text) {
        if (text.charCodeAt(0) === lead) text = text.slice(1)
        // A CR ending the text ends a line now; an LF starting the next is dropped.
        lead = text.charCodeAt(text.length - 1) === CR ? LF : -1
        if (text.includes('\r')) text = text.replace(LINE_ENDS, '\n')
        backlog += text
      }
      // From a callback: parsed once the current text is.
      if (parsing) return
      parsing = true
      try {
        while (backlog) {
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
      lead = BOM
      pending = ''
      backlog = ''
      skip = false
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
