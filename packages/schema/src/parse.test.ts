import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ExpectedEvent, oneByOne, randomSplits } from './conformance.cases.js'
import { isTidingsError, ParseError } from './errors.js'
import { createParser, type ParserOptions } from './parse.js'

interface Outcome {
  events: ExpectedEvent[]
  retries: number[]
  comments: string[]
  lastEventId: string
}

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)

function collect(options: Partial<ParserOptions> = {}) {
  const outcome: Outcome = { events: [], retries: [], comments: [], lastEventId: '' }
  const parser = createParser({
    onEvent: ({ event, data, id }) => outcome.events.push({ event, data, id }),
    onRetry: (ms) => outcome.retries.push(ms),
    onComment: (text) => outcome.comments.push(text),
    ...options,
  })
  return { parser, outcome }
}

const ev = (data: string, event = 'message', id?: string): ExpectedEvent => ({ event, data, id })

/**
 * The standard's algorithm transcribed as plainly as possible, over the whole
 * stream at once: the oracle for the differential properties below.
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
function reference(stream: Uint8Array, startId = ''): Outcome {
  // "UTF-8 decode": strips one leading BOM, replaces errors with U+FFFD.
  const text = new TextDecoder('utf-8').decode(stream)
  const outcome: Outcome = { events: [], retries: [], comments: [], lastEventId: startId }
  let data = ''
  let type = ''
  let idBuffer = startId
  const lines = /([^\r\n]*)(?:\r\n|\r|\n)/y
  for (let match = lines.exec(text); match !== null; match = lines.exec(text)) {
    const line = match[1] ?? ''
    if (line === '') {
      outcome.lastEventId = idBuffer
      if (data === '') {
        type = ''
        continue
      }
      outcome.events.push({
        event: type === '' ? 'message' : type,
        data: data.endsWith('\n') ? data.slice(0, -1) : data,
        id: idBuffer === '' ? undefined : idBuffer,
      })
      data = ''
      type = ''
    } else if (line.startsWith(':')) {
      outcome.comments.push(line.slice(line.startsWith(': ') ? 2 : 1))
    } else {
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') type = value
      else if (field === 'data') data += `${value}\n`
      else if (field === 'id' && !value.includes('\0')) idBuffer = value
      else if (field === 'retry' && /^[0-9]+$/.test(value)) {
        outcome.retries.push(Math.min(Number(value), Number.MAX_SAFE_INTEGER))
      }
    }
  }
  return outcome
}

function feedAll(chunks: Iterable<string | Uint8Array>, startId?: string): Outcome {
  const { parser, outcome } = collect({ lastEventId: startId })
  for (const chunk of chunks) parser.feed(chunk)
  outcome.lastEventId = parser.lastEventId
  return outcome
}

/** Streams rich in what matters to the parser: field names, line ends, BOMs, odd bytes. */
const streamBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'data:',
        'data: ',
        'data',
        'event:',
        'event: ',
        'id:',
        'id: ',
        'id',
        'retry:',
        'retry: 12',
        ':',
        ': ',
        '\n',
        '\r',
        '\r\n',
        '\n\n',
        '\uFEFF',
        '\0',
        ' ',
        'é',
        '😀',
        'ï»¿',
      ),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 3 }),
      fc.uint8Array({ minLength: 1, maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => {
    const arrays = parts.map((part) => (typeof part === 'string' ? bytes(part) : part))
    const all = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
    let offset = 0
    for (const a of arrays) {
      all.set(a, offset)
      offset += a.length
    }
    return all
  })

/** Cuts at random points, empty chunks included. */
function cut<T extends string | Uint8Array>(whole: T, points: number[]): T[] {
  const sorted = points.map((p) => p % (whole.length + 1)).sort((a, b) => a - b)
  const chunks: T[] = []
  let previous = 0
  for (const point of sorted) {
    chunks.push(whole.slice(previous, point) as T)
    previous = point
  }
  chunks.push(whole.slice(previous) as T)
  return chunks
}

describe('createParser', () => {
  it('explains a wrong call', () => {
    // @ts-expect-error deliberately wrong: a function instead of options
    expect(() => createParser(() => {})).toThrow(/createParser\(\{ onEvent: fn \}\)/)
    expect(() => createParser({ onEvent: () => {}, maxLineLength: 0 })).toThrow(RangeError)
  })

  it('joins a CRLF split across chunks, even with empty chunks between', () => {
    const { parser, outcome } = collect()
    for (const chunk of ['data: a\r', '', '\n', 'data: b\r', '\n\r', '', '\n']) parser.feed(chunk)
    for (const chunk of [
      bytes('data: c\r'),
      new Uint8Array(),
      bytes('\ndata: d\r'),
      bytes('\n\r'),
    ]) {
      parser.feed(chunk)
    }
    expect(outcome.events).toEqual([ev('a\nb'), ev('c\nd')])
  })

  it('strips a BOM split across byte chunks, once', () => {
    const { parser, outcome } = collect()
    for (const byte of [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]) parser.feed(Uint8Array.of(byte))
    parser.feed(bytes('data: a\n\ndata: b\n\n'))
    // The second BOM starts the first line: "\uFEFFdata" is an unknown field.
    expect(outcome.events).toEqual([ev('b')])
  })

  it('needs only onEvent', () => {
    const events: string[] = []
    const parser = createParser({ onEvent: (event) => events.push(event.data) })
    parser.feed(': hello\nretry: 100\ndata: a\n\n')
    expect(events).toEqual(['a'])
  })

  it('turns a sequence cut short by an invalid lead byte into U+FFFD at once', () => {
    // CE needs one more byte but FF follows: U+FFFD for each, as in one stream,
    // even though the chunk ends after FF and the next starts with continuation
    // bytes (which CE must not take).
    const stream = Uint8Array.of(
      ...bytes('data:'),
      ...[0x90, 0xf4, 0xe0, 0xbb, 0xed, 0xf0, 0xbf, 0x8a, 0xf4, 0xef, 0xce, 0xff],
      ...[0xa6, 0x9f, 0x87, 0x90, 0xa0],
      0x0a,
      0x0a,
    )
    expect(feedAll(cut(stream, [10, 17]))).toEqual(reference(stream))
    expect(reference(stream).events[0]?.data).toBe('\uFFFD'.repeat(14))
  })

  it('keeps a character the decoder holds when a chunk decodes to as many units as it has bytes', () => {
    // C3 waits for a continuation byte; 41 makes it U+FFFD, and E2 waits in turn:
    // two bytes in, two units out, yet a byte is still held for the next chunk.
    const stream = Uint8Array.of(...bytes('data:'), 0xc3, 0x41, 0xe2, 0x82, 0xac, 0x0a, 0x0a)
    expect(feedAll(cut(stream, [6, 8])).events).toEqual([ev('\uFFFDA\u20AC')])
  })

  it('accepts text and bytes', () => {
    const { parser, outcome } = collect()
    parser.feed('data: a\n\n')
    parser.feed(bytes('data: b\n\n'))
    expect(outcome.events).toEqual([ev('a'), ev('b')])
  })

  it('reports the committed last event ID, also to callbacks', () => {
    const seen: string[] = []
    const parser = createParser({
      onEvent: (event) => seen.push(`${event.id}=${parser.lastEventId}`),
    })
    expect(parser.lastEventId).toBe('')
    parser.feed('id: 1\n\n')
    expect(parser.lastEventId).toBe('1')
    parser.feed('id: 2\ndata: x\n')
    expect(parser.lastEventId).toBe('1')
    parser.feed('\n')
    expect(parser.lastEventId).toBe('2')
    expect(seen).toEqual(['2=2'])
  })

  describe('reset', () => {
    it('drops the partial line and event', () => {
      const { parser, outcome } = collect()
      parser.feed('event: x\ndata: a\nda')
      parser.reset()
      parser.feed('ta: b\n\ndata: c\n\n')
      expect(outcome.events).toEqual([ev('c')])
    })

    it('strips a BOM again', () => {
      const { parser, outcome } = collect()
      parser.feed('\uFEFFdata: a\n\n')
      parser.reset()
      parser.feed(Uint8Array.of(0xef, 0xbb, 0xbf, ...bytes('data: b\n\n')))
      expect(outcome.events).toEqual([ev('a'), ev('b')])
    })

    it('sets the last event ID', () => {
      const { parser, outcome } = collect({ lastEventId: 'start' })
      parser.feed('data: a\n\nid: 1\n\n')
      parser.reset()
      expect(parser.lastEventId).toBe('')
      parser.feed('data: b\n\n')
      parser.reset({ lastEventId: 'kept' })
      expect(parser.lastEventId).toBe('kept')
      parser.feed('data: c\n\n')
      expect(outcome.events).toEqual([
        ev('a', 'message', 'start'),
        ev('b'),
        ev('c', 'message', 'kept'),
      ])
    })

    it('forgets a character split across chunks', () => {
      const { parser, outcome } = collect()
      parser.feed(Uint8Array.of(...bytes('data: a\n\n'), 0xe2, 0x82))
      parser.reset()
      parser.feed(bytes('data: b\n\n'))
      expect(outcome.events).toEqual([ev('a'), ev('b')])
    })

    it('recovers after a size-limit error', () => {
      const { parser, outcome } = collect({ maxLineLength: 10 })
      expect(() => parser.feed('data: this line is too long')).toThrow(ParseError)
      parser.reset()
      parser.feed('data: ok\n\n')
      expect(outcome.events).toEqual([ev('ok')])
    })
  })

  describe('callbacks', () => {
    it('may reset the parser: the rest of the chunk is dropped', () => {
      const events: string[] = []
      const parser = createParser({
        onEvent: (event) => {
          events.push(event.data)
          if (event.data === 'stop') parser.reset()
        },
      })
      parser.feed('data: a\n\ndata: stop\n\ndata: dropped\n\n')
      parser.feed('data: b\n\n')
      expect(events).toEqual(['a', 'stop', 'b'])
    })

    it('may feed the parser: that text is parsed after the current chunk', () => {
      const events: string[] = []
      const parser = createParser({
        onEvent: (event) => {
          events.push(event.data)
          if (event.data === 'a') parser.feed('data: nested\n\n')
        },
      })
      parser.feed('data: a\n\ndata: b\n\n')
      expect(events).toEqual(['a', 'b', 'nested'])
    })

    it('may throw before a CR that ends the chunk: its LF in the next chunk still pairs with it', () => {
      const events: string[] = []
      const parser = createParser({
        onEvent: (event) => events.push(event.data),
        onComment: () => {
          throw new Error('handler failed')
        },
      })
      expect(() => parser.feed(': boom\ndata: a\r')).toThrow('handler failed')
      parser.feed('\ndata: b\n\n')
      expect(() => parser.feed(': boom\ndata: c\r')).toThrow('handler failed')
      parser.feed('data: d\n\n')
      expect(events).toEqual(['a\nb', 'c\nd'])
    })

    it('may throw: the error propagates and the rest of the chunk is kept', () => {
      const events: string[] = []
      const parser = createParser({
        onEvent: (event) => {
          events.push(event.data)
          if (event.data === 'boom') throw new Error('handler failed')
        },
      })
      expect(() => parser.feed('data: a\n\ndata: boom\n\ndata: b\n\ndata: c')).toThrow(
        'handler failed',
      )
      expect(events).toEqual(['a', 'boom'])
      parser.feed('')
      expect(events).toEqual(['a', 'boom', 'b'])
      parser.feed('\n\n')
      expect(events).toEqual(['a', 'boom', 'b', 'c'])
    })
  })

  describe('size limit', () => {
    it('accepts a line of exactly maxLineLength and refuses one more', () => {
      const { parser, outcome } = collect({ maxLineLength: 10 })
      parser.feed('data: 1234\n\n')
      expect(() => parser.feed('data: 12345\n\n')).toThrow(ParseError)
      for (const chunk of oneByOne('data: 1234\n\n')) parser.feed(chunk)
      parser.feed('data: 1234')
      parser.feed('\r\n\r\n')
      expect(outcome.events).toEqual([ev('1234'), ev('1234'), ev('1234')])
    })

    it('raises a typed error that says how to fix it', () => {
      const { parser } = collect({ maxLineLength: 8 })
      let caught: unknown
      try {
        parser.feed('data: way too long\n\n')
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(ParseError)
      expect(isTidingsError(caught)).toBe(true)
      expect(caught).toMatchObject({ name: 'ParseError', code: 'line_too_long' })
      expect((caught as Error).message).toMatch(/maxLineLength/)
    })

    it('skips the rest of a never-ending line with bounded memory', () => {
      // 600 MiB of one line: past V8's longest string, so a parser that kept it
      // would fail with a RangeError instead of the one ParseError.
      const { parser, outcome } = collect()
      const megabyte = 'x'.repeat(1024 * 1024)
      parser.feed('data: ')
      let errors = 0
      for (let i = 0; i < 600; i++) {
        try {
          parser.feed(megabyte)
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError)
          errors++
        }
      }
      expect(errors).toBe(1)
      parser.feed('\ndata: same block\n\ndata: after\n\n')
      expect(outcome.events).toEqual([ev('after')])
    })

    it('drops a huge event made of short lines, up to its blank line', () => {
      const { parser, outcome } = collect({ maxLineLength: 1000 })
      parser.feed('data: before\n\n')
      let errors = 0
      for (let i = 0; i < 100; i++) {
        try {
          parser.feed(`data: ${'y'.repeat(100)}\n`)
        } catch (error) {
          expect(error).toBeInstanceOf(ParseError)
          errors++
        }
      }
      parser.feed('data: still the same block\n\ndata: after\n\n')
      expect(errors).toBe(1)
      expect(outcome.events).toEqual([ev('before'), ev('after')])
    })

    it('keeps the events that follow the broken one in the same chunk', () => {
      const { parser, outcome } = collect({ maxLineLength: 100 })
      expect(() =>
        parser.feed(`data: before\n\ndata: ${'z'.repeat(200)}\nid: 9\n\ndata: after\n\n`),
      ).toThrow(ParseError)
      expect(outcome.events).toEqual([ev('before')])
      parser.feed('')
      expect(outcome.events).toEqual([ev('before'), ev('after')])
    })

    it('does not mistake the end of a skipped partial line for a blank line', () => {
      const { parser, outcome } = collect({ maxLineLength: 10 })
      expect(() => parser.feed('data: 12345678901\n')).toThrow(ParseError)
      parser.feed('data: y')
      parser.feed('\ndata: z\n\ndata: ok\n\n')
      expect(outcome.events).toEqual([ev('ok')])
    })

    it('drops an event that grows past the limit on a line split across chunks', () => {
      const { parser, outcome } = collect({ maxLineLength: 20 })
      parser.feed('data: 0123456789\n')
      parser.feed('data: 01234')
      expect(() => parser.feed('56789\n')).toThrow(ParseError)
      parser.feed('data: same block\n\ndata: after\n\n')
      expect(outcome.events).toEqual([ev('after')])
    })

    it('counts a line split across chunks as a whole', () => {
      const { parser } = collect({ maxLineLength: 10 })
      parser.feed('data:')
      parser.feed(' 12')
      expect(() => parser.feed('34567\n')).toThrow(ParseError)
    })
  })

  describe('properties', () => {
    it('matches a plain transcription of the standard, however the bytes are chunked', () => {
      fc.assert(
        fc.property(
          streamBytes,
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.constantFrom('', 'start'),
          (stream, points, startId) => {
            const expected = reference(stream, startId)
            expect(feedAll(cut(stream, points), startId)).toEqual(expected)
            expect(feedAll(oneByOne(stream), startId)).toEqual(expected)
          },
        ),
        { numRuns: 400 },
      )
    })

    it('decodes invalid UTF-8 like one streaming decoder, however it is cut', () => {
      // Bytes that start, continue, break or never form sequences, cut often, so
      // that chunks alternate between ASCII and not (and so between decoders).
      const edgy = fc.oneof(
        fc.constantFrom(0x0a, 0x3a, 0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2),
        fc.constantFrom(0xce, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
        fc.integer({ min: 0, max: 255 }),
      )
      fc.assert(
        fc.property(
          fc.array(edgy, { maxLength: 80 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          (body, points) => {
            const stream = Uint8Array.of(...bytes('data:'), ...body, 0x0a, 0x0a)
            expect(feedAll(cut(stream, points))).toEqual(reference(stream))
          },
        ),
        { numRuns: 2000 },
      )
    })

    it('decodes like the platform decoder, so bytes and text agree', () => {
      fc.assert(
        fc.property(streamBytes, fc.array(fc.nat(), { maxLength: 12 }), (stream, points) => {
          const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(stream)
          expect(feedAll(cut(stream, points))).toEqual(feedAll([text]))
          expect(feedAll(cut(text, points))).toEqual(feedAll([text]))
        }),
        { numRuns: 300 },
      )
    })

    it('never throws on random bytes, except ParseError past the limit, and always terminates', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 512 }),
          fc.array(fc.nat(), { maxLength: 16 }),
          fc.constantFrom(undefined, 1, 7, 64),
          (stream, points, maxLineLength) => {
            const parser = createParser({
              onEvent: () => {},
              onComment: () => {},
              onRetry: () => {},
              maxLineLength,
            })
            for (const chunk of [...cut(stream, points), new Uint8Array()]) {
              // A throw keeps the rest of the chunk for the next feed: drain it.
              for (let attempt = 0; attempt <= stream.length + 1; attempt++) {
                try {
                  parser.feed(attempt === 0 ? chunk : '')
                  break
                } catch (error) {
                  expect(error).toBeInstanceOf(ParseError)
                  expect(maxLineLength).toBeDefined()
                }
              }
            }
          },
        ),
        { numRuns: 500 },
      )
    })

    it('loses and repeats nothing when callbacks throw, however the bytes are chunked', () => {
      fc.assert(
        fc.property(
          streamBytes,
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.integer({ min: 1, max: 3 }),
          (stream, points, every) => {
            const outcome: Outcome = { events: [], retries: [], comments: [], lastEventId: '' }
            let calls = 0
            const fail = () => {
              calls++
              if (calls % every === 0) throw new Error('handler failed')
            }
            const parser = createParser({
              onEvent: ({ event, data, id }) => {
                outcome.events.push({ event, data, id })
                fail()
              },
              onRetry: (ms) => {
                outcome.retries.push(ms)
                fail()
              },
              onComment: (text) => {
                outcome.comments.push(text)
                fail()
              },
            })
            const feed = (chunk: Uint8Array | string) => {
              try {
                parser.feed(chunk)
              } catch (error) {
                expect(error).toHaveProperty('message', 'handler failed')
                // The rest of the chunk waits in the parser: drain it.
                for (let i = 0; i < stream.length + 2; i++) {
                  try {
                    parser.feed('')
                    break
                  } catch (again) {
                    expect(again).toHaveProperty('message', 'handler failed')
                  }
                }
              }
            }
            for (const chunk of cut(stream, points)) feed(chunk)
            outcome.lastEventId = parser.lastEventId
            expect(outcome).toEqual(reference(stream))
          },
        ),
        { numRuns: 300 },
      )
    })

    it('replays seeded random splits of random streams the same way', () => {
      fc.assert(
        fc.property(streamBytes, fc.integer(), (stream, seed) => {
          expect(feedAll(randomSplits(stream, seed))).toEqual(reference(stream))
        }),
        { numRuns: 200 },
      )
    })
  })
})
