import { describe, expect, it } from 'vitest'
import { Cors, type HeaderList } from './cors.js'

describe('Cors', () => {
  it('echoes only allowed origins', () => {
    const cors = new Cors({ origin: ['https://a.example'] })
    const allowed: HeaderList = {}
    cors.apply(allowed, 'https://a.example')
    expect(allowed).toEqual({ Vary: 'Origin', 'Access-Control-Allow-Origin': 'https://a.example' })
    const refused: HeaderList = {}
    cors.apply(refused, 'https://b.example')
    expect(refused).toEqual({ Vary: 'Origin' })
    const none: HeaderList = {}
    cors.apply(none, null)
    expect(none['Access-Control-Allow-Origin']).toBeUndefined()
  })

  it('supports a wildcard entry, a predicate, credentials and preflight details', () => {
    const any: HeaderList = {}
    new Cors({ origin: ['*'] }).apply(any, 'https://x.example')
    expect(any['Access-Control-Allow-Origin']).toBe('https://x.example')
    const cors = new Cors({
      origin: (origin) => origin.endsWith('.trusted.example'),
      credentials: true,
      allowHeaders: ['X-Token'],
      maxAgeSec: 60,
    })
    const preflight: HeaderList = {}
    cors.preflight(preflight, 'https://app.trusted.example')
    expect(preflight).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.trusted.example',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': 'Last-Event-ID, X-Token',
      'Access-Control-Max-Age': '60',
    })
    const refused: HeaderList = {}
    cors.preflight(refused, 'https://evil.example')
    expect(refused['Access-Control-Allow-Methods']).toBeUndefined()
  })
})
