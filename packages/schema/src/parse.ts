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
  const limit = end > 3 ? end - 3 : 0
  for (let i = end - 1; i >= limit; i--) {
    const byte = bytes[i]!
    if (byte < 0x80) return end
    if (byte < 0xc0) continue
    // Carrying an invalid sequence too is harmless: it is decoded with the bytes
    // that follow, which gives the same U+FFFD a streaming decoder would.
    return end - i >= (byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2) ? end : i
  }
  return end
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
  if (typeof options !== 'object' || options === null || typeof options.onEvent !== 'function') {
    throw new TypeError(
      'createParser expects an options object with an onEvent function. Did you mean `createParser({ onEvent: fn })`?',
    )
  }
  const { onEvent, onRetry, onComment } = options
  const max = options.maxLineLength ?? 1024 * 1024
  if (!(max > 0)) {
    throw new RangeError(`maxLineLength must be a positive number of characters: got ${max}.`)
  }

  // Decoding. The parser completes characters split across chunks itself and
  // decodes only whole characters, so it can pick a decoder per chunk. That is
  // for speed only: in Node, a decoder never used with `stream: true` has a fast
  // path several times faster on ASCII, and one that has been is faster on
  // other text. `ignoreBOM` keeps U+FEFF, so that the parser strips exactly one,
  // at the very start of the stream, as the standard's "UTF-8 decode" does.
  const wholeDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let streamDecoder: TextDecoder | undefined
  let lastWasAscii = true
  // The bytes of an unfinished character at the end of the previous chunk.
  let carry: Uint8Array | undefined

  let started = false
  // Text of an unfinished line (never contains CR or LF).
  let pending = ''
  // Text still to parse: left by an exception in the middle of a chunk, or fed
  // from inside a callback.
  let backlog = ''
  let parsing = false
  // Bumped by reset(), so a parse running a callback that resets stops there.
  let generation = 0
  // The previous chunk ended with CR: an LF starting the next one is its other half.
  let skipLF = false
  let discard = KEEP
  // The standard's data buffer: every `data` value followed by LF.
  let data = ''
  let eventType = ''
  let idBuffer = options.lastEventId ?? ''
  let lastEventId = idBuffer

  const tooLong = (what: string): ParseError =>
    new ParseError(
      'line_too_long',
      `The event stream sent ${what} longer than ${max} characters, so the parser dropped that event. ` +
        'Raise maxLineLength if such events are expected.',
    )

  const decodeWhole = (bytes: Uint8Array): string => {
    if (bytes.length === 0) return ''
    let text: string
    if (lastWasAscii) {
      text = wholeDecoder.decode(bytes)
    } else {
      if (streamDecoder === undefined) {
        streamDecoder = new TextDecoder('utf-8', { ignoreBOM: true })
        streamDecoder.decode(new Uint8Array(0), { stream: true })
      }
      // Flushed every time: `bytes` may still end with a sequence its last byte
      // cut short (the carry starts at that lead byte), which must become U+FFFD
      // now, as it would in one stream, not wait for the next chunk.
      text = streamDecoder.decode(bytes)
    }
    lastWasAscii = text.length === bytes.length
    return text
  }

  /**
   * Parses decoded text. The state lives in locals while the loop runs and is
   * written back at the end. Positions move past a line before it is processed,
   * so when a callback (or the size limit) throws, `text.slice(position)` is
   * exactly what is left; it goes to the backlog for the next `feed`.
   */
  const parse = (input: string): void => {
    const gen = generation
    let text = input
    let position = 0
    if (!started) {
      started = true
      if (text.charCodeAt(0) === BOM) position = 1
    }
    if (skipLF) {
      skipLF = false
      if (text.charCodeAt(position) === LF) position++
    }
    // The loop below looks for LF only. CRLF line ends are handled there by
    // dropping the CR before the LF. A CR alone also ends a line, and no value
    // can hold one, so text with such CRs is rewritten to LF line ends first (a
    // CR ending the text may yet be the first half of a CRLF: see skipLF).
    let crlf = false
    let endsWithCR = false
    let cr = text.indexOf('\r', position)
    if (cr !== -1) {
      crlf = true
      endsWithCR = text.charCodeAt(text.length - 1) === CR
      while (cr !== -1 && text.charCodeAt(cr + 1) === LF) cr = text.indexOf('\r', cr + 2)
      if (cr !== -1) text = text.replace(LINE_ENDS, '\n')
    }
    const length = text.length
    let mode = discard
    let buffer = data
    let type = eventType
    let id = idBuffer
    try {
      if (pending.length !== 0 || mode === SKIP_LINE) {
        // Finish the line an earlier chunk began: parse it on its own.
        const end = text.indexOf('\n', position)
        if (end === -1) {
          if (mode === KEEP) {
            if (pending.length + length - position > max) {
              pending = ''
              position = length
              mode = SKIP_LINE
              buffer = ''
              type = ''
              throw tooLong('a line')
            }
            pending += text.slice(position)
          }
          position = length
          return
        }
        const lineStart = position
        position = end + 1
        if (mode === SKIP_LINE) {
          mode = SKIP_BLOCK
        } else {
          const head = pending
          pending = ''
          const size = end - lineStart - (crlf && text.charCodeAt(end - 1) === CR ? 1 : 0)
          if (head.length + size > max) {
            mode = SKIP_BLOCK
            buffer = ''
            type = ''
            throw tooLong('a line')
          }
          try {
            parse(head + text.slice(lineStart, position))
          } finally {
            mode = discard
            buffer = data
            type = eventType
            id = idBuffer
          }
          if (generation !== gen) return
        }
      }

      for (;;) {
        const next = text.indexOf('\n', position)
        if (next === -1) break
        const start = position
        position = next + 1
        // The line is text[start, end); text[end] is CR or LF.
        const end = crlf && next > start && text.charCodeAt(next - 1) === CR ? next - 1 : next

        if (mode !== KEEP) {
          // Skipping the block broken by a size-limit error, up to its blank line.
          if (mode === SKIP_LINE) mode = SKIP_BLOCK
          else if (start === end) {
            mode = KEEP
            lastEventId = id
          }
          continue
        }
        if (end - start > max) {
          mode = SKIP_BLOCK
          buffer = ''
          type = ''
          throw tooLong('a line')
        }

        if (start === end) {
          // A blank line: the "dispatch the event" steps.
          lastEventId = id
          if (buffer.length !== 0) {
            const event: ParsedEvent = {
              event: type.length === 0 ? 'message' : type,
              data: buffer.slice(0, -1),
              id: id.length === 0 ? undefined : id,
            }
            buffer = ''
            type = ''
            onEvent(event)
            if (generation !== gen) return
          } else {
            type = ''
          }
          continue
        }

        // Field names are compared in place and case-sensitively. A name ends at
        // a colon or at the end of the line (a field with no colon has an empty
        // value); any other name is an unknown field, which is ignored. text[end]
        // is not a letter or a colon, so no check reads past the line.
        const first = text.charCodeAt(start)
        if (first === 0x64 /* d */) {
          if (
            text.charCodeAt(start + 1) !== 0x61 ||
            text.charCodeAt(start + 2) !== 0x74 ||
            text.charCodeAt(start + 3) !== 0x61
          ) {
            continue
          }
          let from = end
          if (start + 4 !== end) {
            if (text.charCodeAt(start + 4) !== COLON) continue
            from = text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5
          }
          if (buffer.length + end - from > max) {
            mode = SKIP_BLOCK
            buffer = ''
            type = ''
            throw tooLong('an event')
          }
          const after = text.charCodeAt(position)
          // (A CR left in the text always starts a CRLF.)
          if (after === LF || after === CR) {
            // A blank line follows, the usual case: dispatch at once, without
            // adding an LF to the data buffer only to remove it again.
            position += after === LF ? 1 : 2
            lastEventId = id
            const value = text.slice(from, end)
            const event: ParsedEvent = {
              event: type.length === 0 ? 'message' : type,
              data: buffer.length === 0 ? value : buffer + value,
              id: id.length === 0 ? undefined : id,
            }
            buffer = ''
            type = ''
            onEvent(event)
            if (generation !== gen) return
            continue
          }
          // The standard's data buffer: each value followed by LF.
          buffer += end === next ? text.slice(from, position) : `${text.slice(from, end)}\n`
        } else if (first === 0x65 /* e */) {
          if (
            text.charCodeAt(start + 1) !== 0x76 ||
            text.charCodeAt(start + 2) !== 0x65 ||
            text.charCodeAt(start + 3) !== 0x6e ||
            text.charCodeAt(start + 4) !== 0x74
          ) {
            continue
          }
          if (start + 5 === end) {
            type = ''
            continue
          }
          if (text.charCodeAt(start + 5) !== COLON) continue
          type = text.slice(text.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end)
        } else if (first === 0x69 /* i */) {
          if (text.charCodeAt(start + 1) !== 0x64) continue
          if (start + 2 === end) {
            id = ''
            continue
          }
          if (text.charCodeAt(start + 2) !== COLON) continue
          const value = text.slice(
            text.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3,
            end,
          )
          if (value.indexOf('\0') === -1) id = value
        } else if (first === 0x72 /* r */) {
          // `retry` with no colon has an empty value, which is not digits: ignored.
          if (
            text.charCodeAt(start + 1) !== 0x65 ||
            text.charCodeAt(start + 2) !== 0x74 ||
            text.charCodeAt(start + 3) !== 0x72 ||
            text.charCodeAt(start + 4) !== 0x79 ||
            text.charCodeAt(start + 5) !== COLON ||
            onRetry === undefined
          ) {
            continue
          }
          const from = text.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6
          let digits = from < end
          for (let i = from; digits && i < end; i++) {
            const code = text.charCodeAt(i)
            digits = code >= 0x30 && code <= 0x39
          }
          if (!digits) continue
          const ms = Number(text.slice(from, end))
          onRetry(Math.min(ms, Number.MAX_SAFE_INTEGER))
          if (generation !== gen) return
        } else if (first === COLON) {
          if (onComment === undefined) continue
          onComment(text.slice(text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1, end))
          if (generation !== gen) return
        }
      }

      if (position < length) {
        // An unfinished line: keep it for the next chunk, within the limit.
        if (mode === SKIP_BLOCK) {
          // Skipped, but remembered as begun so that its end is not a blank line.
          mode = SKIP_LINE
        } else if (mode === KEEP) {
          if (length - position > max) {
            position = length
            mode = SKIP_LINE
            buffer = ''
            type = ''
            throw tooLong('a line')
          }
          pending = position === 0 ? text : text.slice(position)
        }
        position = length
      }
    } finally {
      if (generation === gen) {
        discard = mode
        data = buffer
        eventType = type
        idBuffer = id
        if (position < length) {
          // Left by an exception: parsed by the next feed, CR restored.
          const rest = text.slice(position, endsWithCR ? -1 : length)
          backlog = (endsWithCR ? `${rest}\r` : rest) + backlog
        } else if (endsWithCR) {
          skipLF = true
        }
      }
    }
  }

  /** Parses text in order with whatever is still to parse. */
  const run = (chunk: string): void => {
    if (parsing) {
      // From a callback: parsed once the current text is.
      backlog += chunk
      return
    }
    let text = backlog.length === 0 ? chunk : backlog + chunk
    backlog = ''
    parsing = true
    try {
      while (text.length !== 0) {
        parse(text)
        text = backlog
        backlog = ''
      }
    } finally {
      parsing = false
    }
  }

  return {
    feed(chunk) {
      if (typeof chunk === 'string') {
        run(chunk)
        return
      }
      let bytes = chunk
      let head = ''
      if (carry !== undefined) {
        // Complete the character split by the previous chunk with the
        // continuation bytes that start this one.
        const lead = carry[0]!
        const need = (lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2) - carry.length
        let taken = 0
        while (taken < need && taken < bytes.length && (bytes[taken]! & 0xc0) === 0x80) taken++
        const piece = new Uint8Array(carry.length + taken)
        piece.set(carry)
        piece.set(bytes.subarray(0, taken), carry.length)
        carry = undefined
        if (taken === bytes.length && taken < need && incompleteTail(piece) === 0) {
          carry = piece
          return
        }
        head = wholeDecoder.decode(piece)
        bytes = bytes.subarray(taken)
      }
      const cut = incompleteTail(bytes)
      if (cut < bytes.length) {
        // Copied: the caller may reuse its buffer.
        carry = bytes.slice(cut)
        bytes = bytes.subarray(0, cut)
      }
      const body = decodeWhole(bytes)
      // `head` is one character or a few U+FFFD: it never ends a line, so
      // parsing it alone can only fail on the size limit; keep `body` then.
      if (head !== '') {
        try {
          run(head)
        } catch (error) {
          backlog += body
          throw error
        }
      }
      run(body)
    },
    reset(resetOptions) {
      generation++
      streamDecoder = undefined
      lastWasAscii = true
      carry = undefined
      started = false
      pending = ''
      backlog = ''
      skipLF = false
      discard = KEEP
      data = ''
      eventType = ''
      idBuffer = resetOptions?.lastEventId ?? ''
      lastEventId = idBuffer
    },
    get lastEventId() {
      return lastEventId
    },
  }
}
