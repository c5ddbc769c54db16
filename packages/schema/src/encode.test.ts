import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeComment, encodeEvent, encodeRetry, type SseMessage } from './encode.js'
import { EncodeError, isTidingsError } from './errors.js'
import { createParser, type ParsedEvent } from './parse.js'

function parse(text: string, points: number[] = []) {
  const events: ParsedEvent[] = []
  const retries: number[] = []
  const comments: string[] = []
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
    onComment: (comment) => comments.push(comment),
  })
  // Bytes cut at arbitrary points, so multibyte characters and CRLFs are split too.
  const bytes = new TextEncoder().encode(text)
  const cuts = points.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b)
  let previous = 0
  for (const point of [...cuts, bytes.length]) {
    parser.feed(bytes.subarray(previous, point))
    previous = point
  }
  return { events, retries, comments }
}

const expectEncodeError = (run: () => unknown) => {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(EncodeError)
  expect(isTidingsError(caught)).toBe(true)
  expect(caught).toMatchObject({ code: 'invalid_field' })
}

describe('encodeEvent', () => {
  it('writes id, event, retry and data lines, then the blank line', () => {
    expect(encodeEvent({ id: 'k3-7', event: 'server-time', data: '{"time":1}' })).toBe(
      'id:k3-7\nevent:server-time\ndata:{"time":1}\n\n',
    )
    expect(encodeEvent({ data: 'x', retry: 1500 })).toBe('retry:1500\ndata:x\n\n')
    expect(encodeEvent({ data: '' })).toBe('data:\n\n')
    expect(encodeEvent({ id: '', data: 'x' })).toBe('id:\ndata:x\n\n')
  })

  it('writes one data line per line, whatever the line break', () => {
    expect(encodeEvent({ data: 'a\nb\r\nc\rd' })).toBe('data:a\ndata:b\ndata:c\ndata:d\n\n')
    expect(encodeEvent({ data: '\n' })).toBe('data:\ndata:\n\n')
    expect(encodeEvent({ data: 'a\r\n' })).toBe('data:a\ndata:\n\n')
  })

  it('keeps a leading space behind a separator space', () => {
    expect(encodeEvent({ id: ' 1', event: ' e', data: ' x\n  y' })).toBe(
      'id:  1\nevent:  e\ndata:  x\ndata:   y\n\n',
    )
  })

  it('refuses what would break the framing', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\r\nb', 'a\0b', '\n']) {
      expectEncodeError(() => encodeEvent({ id: bad, data: 'x' }))
      expectEncodeError(() => encodeEvent({ event: bad, data: 'x' }))
    }
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expectEncodeError(() => encodeEvent({ data: 'x', retry: bad }))
    }
    expectEncodeError(() => encodeEvent({ data: 42 } as unknown as SseMessage))
    expectEncodeError(() => encodeEvent({ id: 7, data: 'x' } as unknown as SseMessage))
  })
})

describe('encodeComment and encodeRetry', () => {
  it('writes comments and retry blocks', () => {
    expect(encodeComment()).toBe(':\n')
    expect(encodeComment('tidings heartbeat=15000')).toBe(': tidings heartbeat=15000\n')
    expect(encodeComment('a\r\nb\n\nc')).toBe(': a\n: b\n:\n: c\n')
    expect(encodeRetry(2000)).toBe('retry:2000\n\n')
    expectEncodeError(() => encodeRetry(-5))
  })

  it('round-trips any comment line by line, and never dispatches', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const { events, comments } = parse(`${encodeComment(text)}\n`)
        expect(events).toEqual([])
        expect(comments).toEqual(text.split(/\r\n|\r|\n/))
      }),
      { numRuns: 200 },
    )
  })

  it('round-trips any retry', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (ms) => {
        expect(parse(encodeRetry(ms))).toEqual({ events: [], retries: [ms], comments: [] })
      }),
      { numRuns: 100 },
    )
  })
})

/** Text without lone surrogates, rich in line breaks and in what a parser treats specially. */
const text = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('\r', '\n', '\r\n', ' ', ':', '\0', '\uFEFF', 'é', '😀'),
    },
  ),
  maxLength: 30,
})
const fieldText = text.filter((value) => !/[\r\n\0]/.test(value))

describe('encode then parse', () => {
  /*
   * What round-trips, exactly: `data` with every CRLF and CR turned into LF;
   * `event`, with missing or empty read back as `message`; `id`, persisting into
   * later events until the next `id`, with an empty one meaning none; `retry`.
   * Lone surrogates are excluded: UTF-8 cannot carry them (they become U+FFFD).
   */
  it('gives back the same events, however the bytes are chunked', () => {
    const message = fc.record(
      {
        id: fc.option(fieldText, { nil: undefined }),
        event: fc.option(fieldText, { nil: undefined }),
        data: text,
        retry: fc.option(fc.nat(), { nil: undefined }),
      },
      { requiredKeys: ['data'] },
    )
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (messages, points) => {
          const wire = messages.map((m) => encodeEvent(m)).join('')
          let lastId: string | undefined
          const expected = messages.map((m): ParsedEvent => {
            if (m.id !== undefined) lastId = m.id === '' ? undefined : m.id
            return {
              event: m.event === undefined || m.event === '' ? 'message' : m.event,
              data: m.data.replace(/\r\n|\r/g, '\n'),
              id: lastId,
            }
          })
          const parsed = parse(wire, points)
          expect(parsed.events).toEqual(expected)
          expect(parsed.retries).toEqual(
            messages.flatMap((m) => (m.retry === undefined ? [] : [m.retry])),
          )
          expect(parsed.comments).toEqual([])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuses any id or event name containing CR, LF or NUL', () => {
    const broken = fc
      .tuple(text, fc.constantFrom('\r', '\n', '\0', '\r\n'), text)
      .map(([before, bad, after]) => before + bad + after)
    fc.assert(
      fc.property(broken, (value) => {
        expectEncodeError(() => encodeEvent({ id: value, data: 'x' }))
        expectEncodeError(() => encodeEvent({ event: value, data: 'x' }))
      }),
      { numRuns: 200 },
    )
  })
})
