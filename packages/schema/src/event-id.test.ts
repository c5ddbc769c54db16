import { describe, expect, it } from 'vitest'
import { createEpoch, formatEventId, parseEventId } from './event-id.js'

describe('event ids', () => {
  it('round-trip epoch and sequence', () => {
    const epoch = createEpoch()
    expect(epoch).toMatch(/^[0-9a-z]{10,12}$/)
    expect(parseEventId(formatEventId(epoch, 42))).toEqual({ epoch, seq: 42 })
    expect(parseEventId(formatEventId(epoch, 0))).toEqual({ epoch, seq: 0 })
  })

  it('give fresh epochs each time', () => {
    expect(new Set(Array.from({ length: 50 }, createEpoch)).size).toBe(50)
  })

  it.each([
    '',
    'abc',
    'abc-',
    '-1',
    'ABC-1',
    'abc-01',
    'abc-1.5',
    'abc--1',
    'abc-99999999999999999',
    `${'a'.repeat(33)}-1`,
    'x'.repeat(9000),
    'abc-1\n',
  ])('reject %j', (id) => {
    expect(parseEventId(id)).toBeUndefined()
  })
})
