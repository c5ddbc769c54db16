import { describe, expect, it } from 'vitest'
import {
  type ConformanceCase,
  conformanceCases,
  type ExpectedEvent,
  oneByOne,
  randomSplits,
} from './conformance.cases.js'
import { createParser } from './parse.js'

interface Outcome {
  events: ExpectedEvent[]
  retries: number[]
  comments: string[]
  lastEventId: string
}

function replay(testCase: ConformanceCase, chunks: Iterable<string | Uint8Array>): Outcome {
  const outcome: Outcome = { events: [], retries: [], comments: [], lastEventId: '' }
  const parser = createParser({
    onEvent: ({ event, data, id }) => outcome.events.push({ event, data, id }),
    onRetry: (ms) => outcome.retries.push(ms),
    onComment: (text) => outcome.comments.push(text),
    lastEventId: testCase.startId,
  })
  for (const chunk of chunks) parser.feed(chunk)
  outcome.lastEventId = parser.lastEventId
  return outcome
}

const expected = (testCase: ConformanceCase): Outcome => ({
  events: [...testCase.events],
  retries: [...(testCase.retries ?? [])],
  comments: [...(testCase.comments ?? [])],
  lastEventId: testCase.lastEventId ?? '',
})

const bytesOf = (testCase: ConformanceCase): Uint8Array =>
  typeof testCase.input === 'string'
    ? new TextEncoder().encode(testCase.input)
    : Uint8Array.from(testCase.input)

// Text as a caller would hand it over after decoding the bytes itself, keeping
// a leading BOM (the parser strips it once from text too).
const textOf = (testCase: ConformanceCase): string =>
  new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytesOf(testCase))

const SEEDS = [1, 2, 3, 42, 1337]

describe('conformance (WHATWG HTML, Server-sent events)', () => {
  it('has at least 60 cases with distinct names', () => {
    expect(conformanceCases.length).toBeGreaterThanOrEqual(60)
    expect(new Set(conformanceCases.map((c) => c.name)).size).toBe(conformanceCases.length)
  })

  describe.each(conformanceCases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const bytes = bytesOf(testCase)
    const text = textOf(testCase)

    it('bytes, whole', () => {
      expect(replay(testCase, [bytes])).toEqual(expected(testCase))
    })

    it('bytes, one at a time', () => {
      expect(replay(testCase, oneByOne(bytes))).toEqual(expected(testCase))
    })

    it('bytes, split at seeded random points', () => {
      for (const seed of SEEDS) {
        expect(replay(testCase, randomSplits(bytes, seed)), `seed ${seed}`).toEqual(
          expected(testCase),
        )
      }
    })

    it('text, whole, one UTF-16 unit at a time, and split at random', () => {
      expect(replay(testCase, [text])).toEqual(expected(testCase))
      expect(replay(testCase, oneByOne(text))).toEqual(expected(testCase))
      for (const seed of SEEDS) {
        expect(replay(testCase, randomSplits(text, seed)), `seed ${seed}`).toEqual(
          expected(testCase),
        )
      }
    })
  })
})
