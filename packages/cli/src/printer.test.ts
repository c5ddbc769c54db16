import { describe, expect, it } from 'vitest'
import { createPrinter } from './printer.js'
import type { TailRecord } from './records.js'

const AT = new Date(2026, 0, 2, 3, 4, 5, 6)
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes start with ESC
const ANSI = /\u001b\[/

function capture(json: boolean, color: boolean) {
  const out: string[] = []
  const err: string[] = []
  const print = createPrinter({ json, color, out: (l) => out.push(l), err: (l) => err.push(l) })
  return { out, err, print: (record: TailRecord) => print(record, AT) }
}

const event: TailRecord = {
  type: 'event',
  event: 'order:placed',
  id: 'k2-7',
  data: '{"total":3}',
  payload: { total: 3 },
}

describe('readable lines', () => {
  it('puts events on out and the rest on err, without colour when asked', () => {
    const { out, err, print } = capture(false, false)
    print(event)
    print({ type: 'gap', reason: 'expired', lastEventId: 'k2-1' })
    expect(out).toEqual(['03:04:05.006  order:placed  k2-7  {"total":3}'])
    expect(err).toEqual(['03:04:05.006  [gap] expired: events after k2-1 may have been missed'])
    expect([...out, ...err].some((line) => ANSI.test(line))).toBe(false)
  })

  it('colours with ANSI escapes when asked', () => {
    const { out, print } = capture(false, true)
    print(event)
    expect(out[0]).toMatch(ANSI)
  })

  it('keeps a multi-line payload on one line, JSON-escaped', () => {
    const { out, print } = capture(false, false)
    print({ type: 'event', event: 'message', id: undefined, data: 'line one\nline two' })
    expect(out).toEqual(['03:04:05.006  message  -  "line one\\nline two"'])
  })

  it('marks invalid events and events outside the contract', () => {
    const { out, print } = capture(false, false)
    print({ ...event, known: true, valid: false, issues: ['total: expected number'] })
    print({ ...event, event: 'other', known: false })
    expect(out).toEqual([
      '03:04:05.006  order:placed  k2-7  {"total":3} [invalid] total: expected number',
      '03:04:05.006  other  k2-7  {"total":3} [not in contract]',
    ])
  })

  it('shows heartbeat lag against the announced interval', () => {
    const { err, print } = capture(false, false)
    print({ type: 'heartbeat', sinceLastByteMs: 15_012, heartbeatMs: 15_000 })
    print({ type: 'heartbeat', sinceLastByteMs: 900, heartbeatMs: undefined })
    expect(err).toEqual([
      '03:04:05.006  [heartbeat] 15.0 s since the last byte (announced every 15.0 s)',
      '03:04:05.006  [heartbeat] 0.9 s since the last byte',
    ])
  })
})

describe('--json', () => {
  it('writes every record as one JSON object per line on out, with an ISO time', () => {
    const { out, err, print } = capture(true, true)
    print(event)
    print({ type: 'reconnecting', attempt: 1, delayMs: 500, reason: 'the stream ended' })
    expect(err).toEqual([])
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { time: AT.toISOString(), ...event },
      {
        time: AT.toISOString(),
        type: 'reconnecting',
        attempt: 1,
        delayMs: 500,
        reason: 'the stream ended',
      },
    ])
    expect(out.some((line) => ANSI.test(line))).toBe(false)
  })
})
