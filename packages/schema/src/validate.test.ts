import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineEvents } from './define-events.js'
import { ContractError, isValidationError, ValidationError } from './errors.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import { hasEvent, validatePayload } from './validate.js'

const contract = defineEvents({
  'server-time': z.object({ time: z.number() }),
  stamped: z.object({ at: z.string().transform((s) => new Date(s)) }),
  valibot: v.object({ n: v.number() }),
})

describe('validatePayload', () => {
  it('returns the schema output on success (transforms applied)', () => {
    const result = validatePayload(contract, 'stamped', { at: '2026-01-01T00:00:00Z' })
    expect(result.success).toBe(true)
    if (result.success) expect(result.value.at).toBeInstanceOf(Date)
  })

  it('returns issues instead of throwing on failure, for zod and valibot alike', () => {
    for (const [name, value] of [
      ['server-time', { time: 'noon' }],
      ['valibot', { n: 'x' }],
    ] as const) {
      const result = validatePayload(contract, name, value)
      expect(result.success).toBe(false)
      if (!result.success) {
        expect(result.issues.length).toBeGreaterThan(0)
        expect(typeof result.issues[0]?.message).toBe('string')
      }
    }
  })

  it('throws a ContractError for an event outside the contract, even an inherited key', () => {
    // @ts-expect-error not an event of the contract
    expect(() => validatePayload(contract, 'nope', 1)).toThrow(ContractError)
    // @ts-expect-error Object.prototype keys are not events
    expect(() => validatePayload(contract, 'toString', 1)).toThrow(/not in the contract/)
  })

  it('refuses asynchronous validators with a clear error', () => {
    const asyncSchema: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) => ({ value: value as number }),
      },
    }
    const asyncContract = defineEvents({ slow: asyncSchema })
    expect(() => validatePayload(asyncContract, 'slow', 1)).toThrow(/async schema/)
  })
})

describe('hasEvent', () => {
  it('knows own event names only', () => {
    expect(hasEvent(contract, 'server-time')).toBe(true)
    expect(hasEvent(contract, 'constructor')).toBe(false)
    expect(hasEvent(contract, 'tidings:gap')).toBe(false)
  })
})

describe('ValidationError', () => {
  it('says which event and where it failed, and is told apart from transport errors', () => {
    const result = validatePayload(contract, 'server-time', { time: 'noon' })
    if (result.success) throw new Error('expected a failure')
    const error = new ValidationError('server-time', result.issues, 'abc-1')
    expect(error.message).toMatch(/Invalid payload for event "server-time" at time:/)
    expect(error.id).toBe('abc-1')
    expect(isValidationError(error)).toBe(true)
    expect(isValidationError(new Error('x'))).toBe(false)
  })
})
