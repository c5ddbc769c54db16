import { describe, expect, it } from 'vitest'
import { Cors, type HeaderList } from './cors.js'

describe('Cors', () => {
  it('echoes only allowed origins', () => {
    const cors = new Cors({ origin: ['https://a.example'] })
    const allowed: HeaderList = {}
    cors.apply(allowed, { origin: 'https://a.example', allowed: cors.allows('https://a.example') })
    expect(allowed).toEqual({ Vary: 'Origin', 'Access-Control-Allow-Origin': 'https://a.example' })
    const refused: HeaderList = {}
    cors.apply(refused, { origin: 'https://b.example', allowed: cors.allows('https://b.example') })
    expect(refused).toEqual({ Vary: 'Origin' })
    const none: HeaderList = {}
    cors.apply(none, { origin: undefined, allowed: false })
    expect(none['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('supports a wildcard entry, a predicate, credentials and preflight details', () => {
    const any: HeaderList = {}
    new Cors({ origin: ['*'] }).apply(any, { origin: 'https://x.example', allowed: true })
    expect(new Cors({ origin: ['*'] }).allows('https://x.example')).toBe(true)
    expect(any['Access-Control-Allow-Origin']).toBe('https://x.example')
    const cors = new Cors({
      origin: (origin) => origin.endsWith('.trusted.example'),
      credentials: true,
      allowHeaders: ['X-Token'],
      maxAgeSec: 60,
    })
    const preflight: HeaderList = {}
    expect(cors.allows('https://app.trusted.example')).toBe(true)
    cors.preflight(preflight, { origin: 'https://app.trusted.example', allowed: true })
    expect(preflight).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.trusted.example',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': 'Last-Event-ID, X-Token',
      'Access-Control-Max-Age': '60',
    })
    const refused: HeaderList = {}
    expect(cors.allows('https://evil.example')).toBe(false)
    cors.preflight(refused, { origin: 'https://evil.example', allowed: false })
    expect(refused['Access-Control-Allow-Methods']).toBeUndefined()
  })

  it('refuses impossible options with an error naming them', () => {
    // @ts-expect-error a string where a list is needed
    expect(() => new Cors({ origin: 'https://a.example' })).toThrow(/cors\.origin/)
    expect(() => new Cors({ origin: ['*'], maxAgeSec: -1 })).toThrow(/cors\.maxAgeSec/)
    expect(() => new Cors({ origin: ['*'], maxAgeSec: Number.POSITIVE_INFINITY })).toThrow(
      /cors\.maxAgeSec must be a whole number of seconds from 0 to 86400/,
    )
  })
})
