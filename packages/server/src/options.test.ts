import { describe, expect, it } from 'vitest'
import { OptionError } from './errors.js'
import { RANGES, resolveOptions } from './options.js'

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

  it('refuses every value a timer would overflow or that has no bound, with the range', () => {
    const bad: [keyof typeof RANGES, unknown][] = [
      ['heartbeatMs', Number.POSITIVE_INFINITY],
      ['heartbeatMs', 3e9],
      ['heartbeatMs', 5],
      ['retryMs', Number.POSITIVE_INFINITY],
      ['retryMs', 2 ** 31],
      ['retryMs', -1],
      ['maxBufferBytes', Number.POSITIVE_INFINITY],
      ['maxBufferBytes', 1.5],
      ['maxConnections', -1],
      ['maxConnections', 2.5],
      ['maxConnections', Number.NaN],
      ['maxTopics', 5000],
      ['maxReplay', Number.POSITIVE_INFINITY],
      ['maxReplay', '10'],
    ]
    for (const [option, value] of bad) {
      let thrown: unknown
      try {
        resolveOptions({ [option]: value })
      } catch (error) {
        thrown = error
      }
      expect(thrown, `${option}: ${String(value)}`).toBeInstanceOf(OptionError)
      expect((thrown as OptionError).option).toBe(option)
      expect((thrown as OptionError).code).toBe('invalid_option')
      expect((thrown as Error).message).toContain(RANGES[option].text)
    }
  })

  it('accepts the bounds themselves, and Infinity where it means no limit', () => {
    expect(resolveOptions({ heartbeatMs: 86_400_000, retryMs: 0 })).toMatchObject({
      heartbeatMs: 86_400_000,
      retryMs: 0,
    })
    expect(resolveOptions({ maxConnections: Number.POSITIVE_INFINITY }).maxConnections).toBe(
      Number.POSITIVE_INFINITY,
    )
  })

  it('checks the hooks are functions and validate a boolean', () => {
    // @ts-expect-error forced wrong type
    expect(() => resolveOptions({ authorize: 'yes' })).toThrow(/authorize must be a function/)
    // @ts-expect-error forced wrong type
    expect(() => resolveOptions({ validate: 'no' })).toThrow(/validate must be true or false/)
  })
})
