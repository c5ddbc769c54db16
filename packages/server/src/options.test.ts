import { describe, expect, it } from 'vitest'
import { resolveOptions } from './options.js'

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    expect(resolveOptions({})).toEqual({
      heartbeatMs: 15000,
      retryMs: 3000,
      maxBufferBytes: 1048576,
      maxConnections: Number.POSITIVE_INFINITY,
      maxTopics: 32,
      maxReplay: 100,
      validate: true,
    })
  })

  it('rejects impossible values, naming the option', () => {
    expect(() => resolveOptions({ heartbeatMs: 0 })).toThrow(/heartbeatMs/)
    expect(() => resolveOptions({ maxBufferBytes: -1 })).toThrow(/maxBufferBytes/)
    expect(() => resolveOptions({ retryMs: Number.NaN })).toThrow(/retryMs/)
    expect(() => resolveOptions({ maxTopics: 0 })).toThrow(/maxTopics/)
  })
})
