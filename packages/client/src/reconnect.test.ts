import { describe, expect, it } from 'vitest'
import { backoffDelay, clampDelay, MAX_DELAY_MS } from './reconnect.js'

describe('backoffDelay', () => {
  const none = () => 0
  const top = () => 0.999999

  it('doubles from initialDelayMs and stops at maxDelayMs', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 }
    expect([1, 2, 3, 4, 5, 30].map((n) => backoffDelay(policy, n, 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ])
  })

  it('defaults to 1 s doubling to 30 s with full jitter', () => {
    expect(backoffDelay({}, 1, 0, none)).toBe(1000)
    expect(backoffDelay({}, 20, 0, none)).toBe(30_000)
    expect(backoffDelay({}, 1, 0, top)).toBe(0)
    expect(backoffDelay({}, 1, 0, () => 0.5)).toBe(500)
  })

  it('randomises only the jitter share of the bound', () => {
    expect(backoffDelay({ jitter: 0.2 }, 1, 0, top)).toBe(800)
    expect(backoffDelay({ jitter: 0.2 }, 1, 0, none)).toBe(1000)
  })

  it('never goes below the floor (the server retry or Retry-After)', () => {
    expect(backoffDelay({}, 1, 3000, top)).toBe(3000)
    expect(backoffDelay({ jitter: 0 }, 6, 3000)).toBe(30_000)
  })

  it('stays finite for a huge attempt count', () => {
    expect(backoffDelay({ jitter: 0 }, 10_000, 0)).toBe(30_000)
  })
})

describe('clampDelay', () => {
  it('keeps a delay within what setTimeout can hold', () => {
    expect(MAX_DELAY_MS).toBe(2 ** 31 - 1)
    expect([-5, 0, 1500, 2 ** 31, Number.POSITIVE_INFINITY, Number.NaN].map(clampDelay)).toEqual([
      0,
      0,
      1500,
      MAX_DELAY_MS,
      MAX_DELAY_MS,
      0,
    ])
  })

  it('bounds the backoff whatever the options and the floor', () => {
    expect(backoffDelay({ jitter: 0, maxDelayMs: 2 ** 40 }, 60, 0)).toBe(MAX_DELAY_MS)
    expect(backoffDelay({}, 1, 2 ** 53)).toBe(MAX_DELAY_MS)
  })
})
