import { describe, expect, it } from 'vitest'
import { createListeners } from './listeners.js'

const setup = () => {
  const reported: unknown[] = []
  const calls: string[] = []
  const listeners = createListeners((error) => reported.push(error))
  const record = (label: string) => (value?: unknown) => calls.push(`${label}:${String(value)}`)
  return { listeners, reported, calls, record }
}

describe('createListeners', () => {
  it('calls the handlers of a name in the order they were added, with every argument', () => {
    const { listeners } = setup()
    const seen: unknown[][] = []
    listeners.on('a', (...args: unknown[]) => seen.push(['first', ...args]))
    listeners.on('b', () => seen.push(['other name']))
    listeners.on('a', (...args: unknown[]) => seen.push(['second', ...args]))
    listeners.emit('a', 1, { id: 'x' })
    expect(seen).toEqual([
      ['first', 1, { id: 'x' }],
      ['second', 1, { id: 'x' }],
    ])
  })

  it('emits to nobody without failing', () => {
    const { listeners, reported } = setup()
    listeners.emit('nobody', 1)
    listeners.off('nobody', () => {})
    expect(reported).toEqual([])
  })

  it('calls a once handler a single time, even when it emits the same name again', () => {
    const { listeners, calls, record } = setup()
    const once = (value: unknown) => {
      calls.push(`once:${value}`)
      if (value === 1) listeners.emit('a', 2)
    }
    listeners.on('a', once, true)
    listeners.on('a', record('always'))
    listeners.emit('a', 1)
    listeners.emit('a', 3)
    expect(calls).toEqual(['once:1', 'always:2', 'always:1', 'always:3'])
  })

  it('removes only the fired once registration when the same handler is also on for good', () => {
    const { listeners, calls, record } = setup()
    const handler = record('h')
    listeners.on('a', handler)
    listeners.on('a', handler, true)
    listeners.emit('a', 1)
    listeners.emit('a', 2)
    expect(calls).toEqual(['h:1', 'h:1', 'h:2'])
  })

  it('off removes every registration of that handler for that name only', () => {
    const { listeners, calls, record } = setup()
    const handler = record('h')
    listeners.on('a', handler)
    listeners.on('a', handler, true)
    listeners.on('b', handler)
    listeners.on('a', record('kept'))
    listeners.off('a', handler)
    listeners.emit('a', 1)
    listeners.emit('b', 2)
    expect(calls).toEqual(['kept:1', 'h:2'])
  })

  it('emits to the handlers registered when the emit started', () => {
    const { listeners, calls, record } = setup()
    const late = record('late')
    const removed = record('removed')
    listeners.on('a', () => {
      listeners.on('a', late)
      listeners.off('a', removed)
    })
    listeners.on('a', removed)
    listeners.emit('a', 1)
    listeners.emit('a', 2)
    expect(calls).toEqual(['removed:1', 'late:2'])
  })

  it('reports a throwing handler and still calls the rest', () => {
    const { listeners, reported, calls, record } = setup()
    const boom = new Error('handler bug')
    listeners.on('a', () => {
      throw boom
    })
    listeners.on('a', record('after'))
    listeners.emit('a', 1)
    expect(reported).toEqual([boom])
    expect(calls).toEqual(['after:1'])
  })
})
