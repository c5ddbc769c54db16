import { describe, expect, it } from 'vitest'
import { createEntry } from './history.js'
import { MemoryHistory } from './memory-history.js'
import { planStart } from './resume.js'

const none = new Set<string>()
const create = (options: { maxEvents?: number; maxAgeMs?: number; now?: () => number } = {}) =>
  new MemoryHistory({
    maxEvents: options.maxEvents ?? 1000,
    maxAgeMs: options.maxAgeMs ?? 300_000,
    epoch: 'ep',
    now: options.now,
  })
const add = (history: MemoryHistory, topics?: string[]) => history.append('e', '1', topics)
const seqs = (history: MemoryHistory, after: number, topics = none, maxBytes = Infinity) =>
  history.page(after, topics, maxBytes).entries.map((e) => e.seq)

describe('MemoryHistory', () => {
  it('hands out consecutive ids in its epoch and encodes each event once', () => {
    const history = create()
    expect(history.head()).toBe(0)
    expect(history.oldest()).toBe(1)
    const first = add(history)
    expect(first.id).toBe('ep-1')
    expect(new TextDecoder().decode(first.chunk)).toBe('id:ep-1\nevent:e\ndata:1\n\n')
    expect(add(history).id).toBe('ep-2')
    expect(history.head()).toBe(2)
  })

  it('is bounded by count', () => {
    const history = create({ maxEvents: 3 })
    for (let i = 0; i < 200; i++) add(history)
    expect(history.head()).toBe(200)
    expect(history.oldest()).toBe(198)
    expect(seqs(history, 197)).toEqual([198, 199, 200])
    expect(seqs(history, 198)).toEqual([199, 200])
    expect(history.covers(197)).toBe(true)
    expect(history.covers(196)).toBe(false)
    expect(history.covers(201)).toBe(false)
  })

  it('is bounded by age', () => {
    let now = 0
    const history = create({ maxAgeMs: 100, now: () => now })
    add(history)
    now = 50
    add(history)
    now = 120
    expect(history.oldest()).toBe(2)
    now = 1000
    expect(history.oldest()).toBe(3)
    expect(seqs(history, 2)).toEqual([])
  })

  it('keeps nothing with maxEvents 0, yet counts ids', () => {
    const history = create({ maxEvents: 0 })
    add(history)
    expect(history.head()).toBe(1)
    expect(history.oldest()).toBe(2)
    expect(history.covers(1)).toBe(true)
    expect(history.covers(0)).toBe(false)
  })

  it('filters by topic: broadcasts match everyone, topic events only subscribers', () => {
    const history = create()
    add(history)
    add(history, ['a'])
    add(history, ['b', 'c'])
    expect(seqs(history, 0)).toEqual([1])
    expect(seqs(history, 0, new Set(['a']))).toEqual([1, 2])
    expect(seqs(history, 0, new Set(['c', 'a']))).toEqual([1, 2, 3])
    expect(history.before(2, new Set(['c']))).toBe(0)
    expect(history.before(1, new Set(['c']))).toBe(2)
    expect(history.before(5, new Set(['zzz']))).toBe(0)
  })

  it('pages by bytes and says how far each page read, matching or not', () => {
    const history = create()
    for (let i = 0; i < 10; i++) add(history, [i % 2 === 0 ? 'even' : 'odd'])
    const size = history.page(0, none, 1).bytes
    expect(size).toBe(0)
    const even = new Set(['even'])
    const chunk = history.page(0, even, 1)
    // At least one entry per page, however small the page.
    expect(chunk.entries.map((e) => e.seq)).toEqual([1])
    expect(chunk.last).toBe(1)
    const two = history.page(1, even, chunk.bytes * 2)
    expect(two.entries.map((e) => e.seq)).toEqual([3, 5])
    expect(two.last).toBe(5)
    // The last page reaches the head, even past entries that do not match.
    const rest = history.page(5, even, Infinity)
    expect(rest.entries.map((e) => e.seq)).toEqual([7, 9])
    expect(rest.last).toBe(10)
  })

  it('takes entries ordered elsewhere, and starts over on a reset', () => {
    const history = create({ maxEvents: 5 })
    history.reset('r1', 1000)
    expect(history.head()).toBe(1000)
    expect(history.covers(1000)).toBe(true)
    history.insert(createEntry('r1', 1001, 'e', '1', undefined, Date.now()))
    expect(seqs(history, 1000)).toEqual([1001])
    history.reset('r2', 5)
    expect(history.epoch).toBe('r2')
    expect(history.oldest()).toBe(6)
    expect(seqs(history, 5)).toEqual([])
  })
})

describe('planStart', () => {
  const history = create({ maxEvents: 3 })
  for (let i = 0; i < 5; i++) add(history)
  const plan = (id: string | undefined, replay = 0, shared = false) =>
    planStart(history, id, replay, none, shared)

  it('starts a fresh stream at the head, with an optional replay', () => {
    expect(plan(undefined)).toEqual({ kind: 'fresh', head: 5, from: 5 })
    expect(plan(undefined, 2)).toEqual({ kind: 'fresh', head: 5, from: 3 })
    expect(plan(undefined, 99)).toEqual({ kind: 'fresh', head: 5, from: 2 })
  })

  it('resumes from a retained id, including the one just before the oldest', () => {
    expect(plan('ep-2')).toEqual({ kind: 'resume', from: 2 })
    expect(plan('ep-5')).toEqual({ kind: 'resume', from: 5 })
  })

  it('reports a gap for every id it cannot resume from', () => {
    expect(plan('ep-1')).toEqual({ kind: 'gap', reason: 'expired' })
    expect(plan('ep-6')).toEqual({ kind: 'gap', reason: 'unknown' })
    expect(plan('other-3')).toEqual({ kind: 'gap', reason: 'other-epoch' })
    expect(plan('garbage')).toEqual({ kind: 'gap', reason: 'malformed' })
    expect(plan('x'.repeat(9000))).toEqual({ kind: 'gap', reason: 'malformed' })
    expect(plan('ep--1')).toEqual({ kind: 'gap', reason: 'malformed' })
  })

  it('leaves ids older or newer than the window to a shared store', () => {
    expect(plan('ep-1', 0, true)).toEqual({ kind: 'resume', from: 1 })
    expect(plan('ep-9', 0, true)).toEqual({ kind: 'resume', from: 9 })
    expect(plan('other-3', 0, true)).toEqual({ kind: 'gap', reason: 'other-epoch' })
  })
})
