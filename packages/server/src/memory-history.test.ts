import { describe, expect, it } from 'vitest'
import { createMemoryHistory } from './memory-history.js'
import { planStart } from './resume.js'

const none = new Set<string>()
const add = (history: ReturnType<typeof createMemoryHistory>, topics?: string[]) =>
  history.append({ event: 'e', data: '1', topics })

describe('createMemoryHistory', () => {
  it('hands out consecutive ids in its epoch and encodes each event once', () => {
    const history = createMemoryHistory({ epoch: 'ep' })
    expect(history.head()).toBe(0)
    expect(history.oldest()).toBe(1)
    const first = add(history)
    expect(first.id).toBe('ep-1')
    expect(new TextDecoder().decode(first.chunk)).toBe('id:ep-1\nevent:e\ndata:1\n\n')
    expect(add(history).id).toBe('ep-2')
    expect(history.head()).toBe(2)
  })

  it('is bounded by count', () => {
    const history = createMemoryHistory({ epoch: 'ep', maxEvents: 3 })
    for (let i = 0; i < 200; i++) add(history)
    expect(history.head()).toBe(200)
    expect(history.oldest()).toBe(198)
    expect(history.readAfter(0, none).map((e) => e.seq)).toEqual([198, 199, 200])
    expect(history.readAfter(198, none).map((e) => e.seq)).toEqual([199, 200])
  })

  it('is bounded by age', () => {
    let now = 0
    const history = createMemoryHistory({ epoch: 'ep', maxAgeMs: 100, now: () => now })
    add(history)
    now = 50
    add(history)
    now = 120
    expect(history.oldest()).toBe(2)
    now = 1000
    expect(history.oldest()).toBe(3)
    expect(history.readAfter(0, none)).toEqual([])
  })

  it('keeps nothing with maxEvents 0, yet counts ids', () => {
    const history = createMemoryHistory({ epoch: 'ep', maxEvents: 0 })
    add(history)
    expect(history.head()).toBe(1)
    expect(history.oldest()).toBe(2)
  })

  it('filters by topic: broadcasts match everyone, topic events only subscribers', () => {
    const history = createMemoryHistory({ epoch: 'ep' })
    add(history)
    add(history, ['a'])
    add(history, ['b', 'c'])
    expect(history.readAfter(0, none).map((e) => e.seq)).toEqual([1])
    expect(history.readAfter(0, new Set(['a'])).map((e) => e.seq)).toEqual([1, 2])
    expect(history.readAfter(0, new Set(['c', 'a'])).map((e) => e.seq)).toEqual([1, 2, 3])
    expect(history.readLatest(2, new Set(['c'])).map((e) => e.seq)).toEqual([1, 3])
    expect(history.readLatest(1, new Set(['c'])).map((e) => e.seq)).toEqual([3])
  })

  it('rejects impossible limits', () => {
    expect(() => createMemoryHistory({ maxEvents: -1 })).toThrow(RangeError)
    expect(() => createMemoryHistory({ maxAgeMs: 0 })).toThrow(RangeError)
  })
})

describe('planStart', () => {
  const history = createMemoryHistory({ epoch: 'ep', maxEvents: 3 })
  for (let i = 0; i < 5; i++) add(history)
  const plan = (id: string | undefined, replay = 0) => planStart(history, id, replay, none)

  it('starts a fresh stream at the head, with an optional replay', () => {
    expect(plan(undefined)).toEqual({ kind: 'fresh', head: 5, entries: [] })
    const withReplay = plan(undefined, 2)
    expect(withReplay.kind === 'fresh' && withReplay.entries.map((e) => e.seq)).toEqual([4, 5])
  })

  it('resumes from a retained id, including the one just before the oldest', () => {
    const from2 = plan('ep-2')
    expect(from2.kind === 'resume' && from2.entries.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(plan('ep-5')).toEqual({ kind: 'resume', entries: [] })
  })

  it('reports a gap for every id it cannot resume from', () => {
    expect(plan('ep-1')).toEqual({ kind: 'gap', head: 5, reason: 'expired' })
    expect(plan('ep-6')).toEqual({ kind: 'gap', head: 5, reason: 'unknown' })
    expect(plan('other-3')).toEqual({ kind: 'gap', head: 5, reason: 'other-epoch' })
    expect(plan('garbage')).toEqual({ kind: 'gap', head: 5, reason: 'malformed' })
    expect(plan('x'.repeat(9000))).toEqual({ kind: 'gap', head: 5, reason: 'malformed' })
    expect(plan('ep--1')).toEqual({ kind: 'gap', head: 5, reason: 'malformed' })
  })
})
