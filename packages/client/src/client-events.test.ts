import { describe, expect, it } from 'vitest'
import { createClientEvents } from './client-events.js'

const setup = () => {
  const reported: unknown[] = []
  const calls: string[] = []
  const events = createClientEvents((error) => reported.push(error))
  const record = (label: string) => (value?: unknown) => calls.push(`${label}:${String(value)}`)
  return { events, reported, calls, record }
}

describe('createClientEvents', () => {
  it('calls the handlers of a name in the order they were added, with every argument', () => {
    const { events } = setup()
    const seen: unknown[][] = []
    events.on('a', (...args: unknown[]) => seen.push(['first', ...args]))
    events.on('b', () => seen.push(['other name']))
    events.on('a', (...args: unknown[]) => seen.push(['second', ...args]))
    events.emit('a', 1, { id: 'x' })
    expect(seen).toEqual([
      ['first', 1, { id: 'x' }],
      ['second', 1, { id: 'x' }],
    ])
  })

  it('emits to nobody without failing', () => {
    const { events, reported } = setup()
    events.emit('nobody', 1)
    events.off('nobody', () => {})
    expect(reported).toEqual([])
  })

  it('calls a once handler a single time, even when it emits the same name again', () => {
    const { events, calls, record } = setup()
    const once = (value: unknown) => {
      calls.push(`once:${value}`)
      if (value === 1) events.emit('a', 2)
    }
    events.on('a', once, true)
    events.on('a', record('always'))
    events.emit('a', 1)
    events.emit('a', 3)
    expect(calls).toEqual(['once:1', 'always:2', 'always:1', 'always:3'])
  })

  it('removes only the fired once registration when the same handler is also on for good', () => {
    const { events, calls, record } = setup()
    const handler = record('h')
    events.on('a', handler)
    events.on('a', handler, true)
    events.emit('a', 1)
    events.emit('a', 2)
    expect(calls).toEqual(['h:1', 'h:1', 'h:2'])
  })

  it('off removes every registration of that handler for that name only', () => {
    const { events, calls, record } = setup()
    const handler = record('h')
    events.on('a', handler)
    events.on('a', handler, true)
    events.on('b', handler)
    events.on('a', record('kept'))
    events.off('a', handler)
    events.emit('a', 1)
    events.emit('b', 2)
    expect(calls).toEqual(['kept:1', 'h:2'])
  })

  it('emits to the handlers registered when the emit started', () => {
    const { events, calls, record } = setup()
    const late = record('late')
    const removed = record('removed')
    events.on('a', () => {
      events.on('a', late)
      events.off('a', removed)
    })
    events.on('a', removed)
    events.emit('a', 1)
    events.emit('a', 2)
    expect(calls).toEqual(['removed:1', 'late:2'])
  })

  it('reports a throwing handler and still calls the rest', () => {
    const { events, reported, calls, record } = setup()
    const boom = new Error('handler bug')
    events.on('a', () => {
      throw boom
    })
    events.on('a', record('after'))
    events.emit('a', 1)
    expect(reported).toEqual([boom])
    expect(calls).toEqual(['after:1'])
  })

  it('counts handlers per name, and removes those of one name or of all', () => {
    const { events, calls, record } = setup()
    events.on('a', record('a1'))
    events.on('a', record('a2'), true)
    events.on('b', record('b'))
    expect([
      events.listenerCount('a'),
      events.listenerCount('b'),
      events.listenerCount('c'),
    ]).toEqual([2, 1, 0])
    events.removeAllListeners('a')
    events.emit('a', 1)
    events.emit('b', 2)
    events.removeAllListeners()
    events.emit('b', 3)
    expect(calls).toEqual(['b:2'])
    expect(events.listenerCount('b')).toBe(0)
  })
})
