import { describe, expect, it } from 'vitest'
import { HttpError } from './errors.js'
import { parseSubscription } from './request.js'

const limits = { maxTopics: 3, maxReplay: 50 }
const parse = (query: string, header?: string | null) => parseSubscription(query, header, limits)

describe('parseSubscription', () => {
  it('reads topics in order, without duplicates', () => {
    expect(parse('topic=a&topic=b.c:d-e_f&topic=a')).toEqual({
      topics: ['a', 'b.c:d-e_f'],
      lastEventId: undefined,
      replay: 0,
      eventTopics: false,
    })
    expect(parse('')).toEqual({ topics: [], lastEventId: undefined, replay: 0, eventTopics: false })
  })

  it('refuses malformed topics and too many with typed 400 errors', () => {
    for (const bad of [
      'topic=',
      'topic=a%20b',
      'topic=%C3%A9',
      `topic=${'x'.repeat(129)}`,
      'topic=a/b',
    ]) {
      const result = parse(bad)
      expect(result).toBeInstanceOf(HttpError)
      expect((result as HttpError).code).toBe('invalid_topic')
      expect((result as HttpError).status).toBe(400)
    }
    const many = parse('topic=a&topic=b&topic=c&topic=d')
    expect((many as HttpError).code).toBe('too_many_topics')
  })

  it('asks for the topics of each event only with eventTopics=1', () => {
    expect(parse('eventTopics=1')).toMatchObject({ eventTopics: true })
    expect(parse('eventTopics=true')).toMatchObject({ eventTopics: false })
    expect(parse('eventTopics=0')).toMatchObject({ eventTopics: false })
  })

  it('takes the last event id from the header first, then the query; empty means none', () => {
    expect(parse('lastEventId=q-1', 'h-1')).toMatchObject({ lastEventId: 'h-1' })
    expect(parse('lastEventId=q-1', '')).toMatchObject({ lastEventId: 'q-1' })
    expect(parse('lastEventId=', null)).toMatchObject({ lastEventId: undefined })
  })

  it('bounds replay by maxReplay, ignores it when resuming or malformed', () => {
    expect(parse('replay=10')).toMatchObject({ replay: 10 })
    expect(parse('replay=1000')).toMatchObject({ replay: 50 })
    expect(parse('replay=-3')).toMatchObject({ replay: 0 })
    expect(parse('replay=1e3')).toMatchObject({ replay: 0 })
    expect(parse('replay=10&lastEventId=a-1')).toMatchObject({ replay: 0 })
  })
})
