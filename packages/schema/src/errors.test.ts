import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import {
  ContractError,
  isTidingsError,
  isValidationError,
  TidingsError,
  ValidationError,
} from './errors.js'

describe('error guards', () => {
  it('recognise Tidings errors by instanceof, with code and cause', () => {
    const cause = new Error('root')
    const error = new ContractError('invalid_contract', 'bad', { cause })
    expect(isTidingsError(error)).toBe(true)
    expect(error).toBeInstanceOf(TidingsError)
    expect(error.name).toBe('ContractError')
    expect(error.cause).toBe(cause)
  })

  it('recognise errors made by another copy of the package (no shared prototype)', () => {
    // A second realm stands in for a duplicated install: its classes are different objects.
    const foreign = runInNewContext(`
      const brand = Symbol.for('tidings.error')
      const e = new Error('x'); e.name = 'HttpError'; e.code = 'http_status'
      Object.defineProperty(e, brand, { value: 'TidingsError' })
      const v = new Error('y'); v.name = 'ValidationError'; v.issues = []
      Object.defineProperty(v, brand, { value: 'ValidationError' })
      ;({ e, v })
    `)
    expect(foreign.e instanceof TidingsError).toBe(false)
    expect(isTidingsError(foreign.e)).toBe(true)
    expect(isValidationError(foreign.v)).toBe(true)
    expect(isTidingsError(foreign.v)).toBe(false)
  })

  it('keep schema failures apart from SDK errors', () => {
    const error = new ValidationError('e', [{ message: 'bad' }])
    expect(isTidingsError(error)).toBe(false)
    expect(isValidationError(error)).toBe(true)
    expect(isTidingsError(new Error('plain'))).toBe(false)
    expect(isTidingsError({ code: 'x', name: 'FakeError' })).toBe(false)
    expect(isTidingsError(null)).toBe(false)
  })
})
