import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { jsonCodec } from './codec.js'
import { defineEvents } from './define-events.js'
import { ContractError, isTidingsError } from './errors.js'
import type { StandardSchemaV1 } from './standard-schema.js'

describe('defineEvents', () => {
  it('keeps the schemas, the names in order, and the JSON codec by default', () => {
    const time = z.object({ time: z.number() })
    const message = z.object({ text: z.string() })
    const contract = defineEvents({ 'server-time': time, 'chat:message': message })
    expect(contract.names).toEqual(['server-time', 'chat:message'])
    expect(contract.events['server-time']).toBe(time)
    expect(contract.codec).toBe(jsonCodec)
    expect(Object.isFrozen(contract)).toBe(true)
  })

  it('accepts any Standard Schema validator, not only zod', () => {
    const contract = defineEvents({ ping: v.object({ n: v.number() }) })
    expect(contract.names).toEqual(['ping'])
  })

  it('takes a custom codec', () => {
    const codec = { encode: (value: unknown) => String(value), decode: (text: string) => text }
    expect(defineEvents({ a: z.string() }, { codec }).codec).toBe(codec)
  })

  it.each([
    ['', /empty/],
    ['bad\nname', /CR, LF or NUL/],
    ['bad\rname', /CR, LF or NUL/],
    ['bad\0name', /CR, LF or NUL/],
    ['tidings:gap', /reserved "tidings:" namespace/],
    ['tidings:anything', /reserved/],
  ])('rejects the event name %j, naming it', (name, message) => {
    const events: Record<string, StandardSchemaV1> = { ok: z.string(), [name]: z.string() }
    const define = () => defineEvents(events)
    expect(define).toThrow(ContractError)
    expect(define).toThrow(message)
    try {
      define()
    } catch (error) {
      expect(isTidingsError(error)).toBe(true)
      expect((error as ContractError).code).toBe('invalid_contract')
    }
  })

  it('allows names that merely contain the prefix elsewhere, and colons', () => {
    expect(
      defineEvents({ 'room:tidings:x': z.string(), 'chat:message': z.string() }).names,
    ).toHaveLength(2)
  })

  it('rejects a value that is not a validator, naming the key', () => {
    const events = { good: z.string(), bad: { parse: () => 1 } }
    // @ts-expect-error not a Standard Schema, on purpose
    expect(() => defineEvents(events)).toThrow(/Event "bad" is not a Standard Schema validator/)
  })

  it('rejects an empty contract at run time too', () => {
    // @ts-expect-error an empty contract is rejected at compile time
    expect(() => defineEvents({})).toThrow(/at least one event/)
  })

  it('rejects a non-object', () => {
    // @ts-expect-error not a map
    expect(() => defineEvents(null)).toThrow(ContractError)
  })
})
