import { describe, expect, it } from 'vitest'
import { type Page, PageCache } from './page-cache.js'

const page = (index: number, bytes: number): Page => ({
  events: [{ seq: index * 1000, event: 'tick', data: '{}', topics: undefined, at: 0 }],
  bytes,
})

/** A cache whose loads are counted, each resolving on the next turn (or failing once when told). */
function counted(maxBytes: number, bytes = 100) {
  const loads: string[] = []
  let fail = false
  const cache = new PageCache(async (epoch, index) => {
    loads.push(`${epoch}:${index}`)
    await Promise.resolve()
    if (fail) {
      fail = false
      throw new Error('read failed')
    }
    return page(index, bytes)
  }, maxBytes)
  return { cache, loads, failNext: () => (fail = true) }
}

describe('PageCache', () => {
  it('reads a page once for the readers that ask while it is in flight and after', async () => {
    const { cache, loads } = counted(1000)
    const [a, b] = await Promise.all([cache.get('e', 1), cache.get('e', 1)])
    expect(a).toBe(b)
    expect(await cache.get('e', 1)).toBe(a)
    // Another epoch is another history.
    await cache.get('f', 1)
    expect(loads).toEqual(['e:1', 'f:1'])
  })

  it('keeps pages within its bytes, dropping the least recently used first', async () => {
    const { cache, loads } = counted(250)
    await cache.get('e', 1)
    await cache.get('e', 2)
    // Page 1 is used again: page 2 is now the oldest, and goes when page 3 comes.
    await cache.get('e', 1)
    await cache.get('e', 3)
    await cache.get('e', 1)
    await cache.get('e', 2)
    expect(loads).toEqual(['e:1', 'e:2', 'e:3', 'e:2'])
  })

  it('keeps neither a failed read nor a page larger than all it may hold', async () => {
    const failing = counted(1000)
    failing.failNext()
    await expect(failing.cache.get('e', 1)).rejects.toThrow('read failed')
    await failing.cache.get('e', 1)
    expect(failing.loads).toEqual(['e:1', 'e:1'])

    const big = counted(1000, 5000)
    expect((await big.cache.get('e', 1)).events).toHaveLength(1)
    await big.cache.get('e', 1)
    expect(big.loads).toEqual(['e:1', 'e:1'])
  })
})
