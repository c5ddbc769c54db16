import { describe, expect, it } from 'vitest'
import { jsonCodec } from './codec.js'

describe('jsonCodec', () => {
  it('round-trips JSON values, line separators included', () => {
    const value = { text: 'a\u2028b\nc', n: 1.5, list: [null, true] }
    expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(value)
  })

  it('never writes "undefined" on the wire', () => {
    expect(jsonCodec.encode(undefined)).toBe('null')
  })
})
