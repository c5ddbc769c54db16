import { describe, expect, it } from 'vitest'
import { ConnectionError, isResponseError, ResponseError } from './errors.js'

describe('isResponseError', () => {
  it('recognises a ResponseError, also where instanceof fails (another realm or copy)', () => {
    const error = new ResponseError('http_status', 503, 'unavailable', 1000)
    const foreign = Object.setPrototypeOf(
      new ResponseError('http_status', 401, 'unauthorized'),
      Error.prototype,
    )
    expect(foreign instanceof ResponseError).toBe(false)
    expect([isResponseError(error), isResponseError(foreign)]).toEqual([true, true])
  })

  it('rejects other errors, look-alikes without the brand, and non-errors', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'ResponseError',
      code: 'http_status',
      status: 500,
    })
    const others = [new ConnectionError('network', 'down'), lookalike, null, 'ResponseError', {}]
    expect(others.map(isResponseError)).toEqual([false, false, false, false, false])
  })
})
