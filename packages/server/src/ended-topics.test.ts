import { defineEvents, END_EVENT } from '@tidings/schema'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEmitter } from './create-emitter.js'
import { EndedTopics, endData, readEnd } from './ended-topics.js'
import { OptionError } from './errors.js'
import { createEntry } from './history.js'

const end = (seq: number, topic: string) =>
  createEntry('ep', seq, END_EVENT, endData(topic, 'complete'), [topic], 0)

describe('EndedTopics', () => {
  it('remembers ends by topic, the first one counts, and says when all of a set ended', () => {
    const ended = new EndedTopics(10, 1000, () => 0)
    ended.add(end(3, 'a'), 'ep', { topic: 'a', reason: 'complete' })
    ended.add(end(5, 'a'), 'ep', { topic: 'a', reason: 'failed' })
    expect(ended.get('a')).toMatchObject({ seq: 3, reason: 'complete' })
    expect(ended.all(['a', 'b'], 'ep')).toBeUndefined()
    ended.add(end(4, 'b'), 'ep', { topic: 'b', reason: 'complete' })
    expect(ended.all(['b', 'a'], 'ep')?.map((t) => t.seq)).toEqual([3, 4])
    // Another history's ends do not count; no topics never "all ended".
    expect(ended.all(['a'], 'other')).toBeUndefined()
    expect(ended.all([], 'ep')).toBeUndefined()
  })

  it('is bounded by count (oldest forgotten first) and by age', () => {
    let now = 0
    const ended = new EndedTopics(2, 100, () => now)
    for (const [seq, topic] of [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ] as const) {
      ended.add(end(seq, topic), 'ep', { topic, reason: 'complete' })
    }
    expect([ended.get('a'), ended.get('b')?.seq, ended.get('c')?.seq]).toEqual([undefined, 2, 3])
    expect(ended.size).toBe(2)
    now = 101
    expect(ended.closed('b')).toBe(false)
    expect(ended.size).toBe(0)
  })

  it('holds a topic being ended through a store closed until the end arrives or fails', () => {
    const ended = new EndedTopics(10, 1000, () => 0)
    expect(ended.begin('a')).toBe(true)
    expect(ended.begin('a')).toBe(false)
    expect(ended.closed('a')).toBe(true)
    ended.abandon('a')
    expect(ended.closed('a')).toBe(false)
  })
})

describe('readEnd', () => {
  it('reads only a well-formed end event sent to exactly its one topic', () => {
    const data = endData('run:1', 'cancelled')
    expect(readEnd(END_EVENT, data, ['run:1'])).toEqual({ topic: 'run:1', reason: 'cancelled' })
    expect(readEnd('token', data, ['run:1'])).toBeUndefined()
    expect(readEnd(END_EVENT, data, ['run:2'])).toBeUndefined()
    expect(readEnd(END_EVENT, data, ['run:1', 'run:2'])).toBeUndefined()
    expect(readEnd(END_EVENT, data, undefined)).toBeUndefined()
    expect(readEnd(END_EVENT, '{not json', ['run:1'])).toBeUndefined()
    expect(readEnd(END_EVENT, 'null', ['run:1'])).toBeUndefined()
  })
})

describe('the ended option', () => {
  const events = defineEvents({ token: z.object({ text: z.string() }) })
  it('is validated like the other numeric options', () => {
    expect(() => createEmitter(events, { ended: { maxAgeMs: 0 } })).toThrow(OptionError)
    expect(() => createEmitter(events, { ended: { maxAgeMs: Number.POSITIVE_INFINITY } })).toThrow(
      /ended.maxAgeMs/,
    )
    expect(() => createEmitter(events, { ended: { maxTopics: 1.5 } })).toThrow(/ended.maxTopics/)
    expect(() => createEmitter(events, { ended: { maxTopics: -1 } })).toThrow(OptionError)
  })

  it('maxTopics: 0 remembers no end: the topic is open again right after it', async () => {
    const emitter = createEmitter(events, { ended: { maxTopics: 0 } })
    emitter.to('a').end()
    expect(emitter.stats().endedTopics).toBe(0)
    expect(typeof emitter.to('a').emit('token', { text: 'again' })).toBe('string')
    await emitter.close()
  })
})
