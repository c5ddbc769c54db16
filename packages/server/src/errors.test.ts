import { isTidingsError } from '@tidings/schema'
import { describe, expect, it } from 'vitest'
import { EmitError, HttpError, isHttpError, StreamError } from './errors.js'

describe('server errors', () => {
  it('map codes to statuses and are Tidings errors', () => {
    const cases = [
      ['invalid_topic', 400],
      ['too_many_topics', 400],
      ['unauthorized', 401],
      ['forbidden', 403],
      ['method_not_allowed', 405],
      ['internal', 500],
      ['unavailable', 503],
    ] as const
    for (const [code, status] of cases) {
      const error = new HttpError(code, 'x')
      expect(error.status).toBe(status)
      expect(isTidingsError(error)).toBe(true)
      expect(isHttpError(error)).toBe(true)
    }
    expect(isTidingsError(new EmitError('invalid_topic', 'x'))).toBe(true)
    expect(isTidingsError(new StreamError('slow_consumer', 'x'))).toBe(true)
  })

  it('recognises an HttpError from another copy of the package by its brand, not by its name', () => {
    // A foreign object that merely looks like one must not have its message sent.
    expect(isHttpError({ name: 'HttpError', code: 'forbidden', message: 'no' })).toBe(false)
    const other = Object.defineProperty(
      { name: 'HttpError', code: 'forbidden', message: 'no' },
      Symbol.for('tidings.error'),
      { value: 'TidingsError' },
    )
    expect(isHttpError(other)).toBe(true)
    expect(isHttpError({ name: 'HttpError', code: 'teapot' })).toBe(false)
    expect(isHttpError(new Error('forbidden'))).toBe(false)
    expect(isHttpError(null)).toBe(false)
  })
})
