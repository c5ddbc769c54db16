import { describe, expect, it } from 'vitest'
import { HttpError } from './errors.js'
import { etagOf, MAX_HISTORY_LIMIT, matchesEtag, parseHistoryQuery } from './history-read.js'

describe('parseHistoryQuery', () => {
  it('defaults to 100 from the oldest, caps the limit, and refuses a limit that is not a count', () => {
    expect(parseHistoryQuery('topic=a')).toEqual({ after: undefined, limit: 100 })
    expect(parseHistoryQuery('after=ep-3&limit=7')).toEqual({ after: 'ep-3', limit: 7 })
    expect(parseHistoryQuery('limit=999999')).toEqual({
      after: undefined,
      limit: MAX_HISTORY_LIMIT,
    })
    for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3']) {
      const result = parseHistoryQuery(`limit=${bad}`)
      expect(result).toBeInstanceOf(HttpError)
      expect((result as HttpError).code).toBe('invalid_limit')
    }
  })
})

describe('etagOf', () => {
  it('is stable for a body and differs for another', () => {
    const body = '{"events":[],"next":"ep-0","last":true,"ended":false,"gap":null}'
    expect(etagOf(body)).toBe(etagOf(body))
    expect(etagOf(body)).not.toBe(etagOf(body.replace('ep-0', 'ep-1')))
    expect(etagOf(body)).toMatch(/^"[0-9a-z]+-[0-9a-f]{16}"$/)
  })

  it('matches If-None-Match lists, weak forms and *', () => {
    const tag = etagOf('x')
    expect(matchesEtag(tag, tag)).toBe(true)
    expect(matchesEtag(`"other", W/${tag}`, tag)).toBe(true)
    expect(matchesEtag('*', tag)).toBe(true)
    expect(matchesEtag('"other"', tag)).toBe(false)
    expect(matchesEtag(undefined, tag)).toBe(false)
  })
})
