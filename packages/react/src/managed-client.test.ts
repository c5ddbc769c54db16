import type { Client, ClientStatus } from '@tidings/client'
import { defineEvents } from '@tidings/schema'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createManagedClient, IDLE_STATUS } from './managed-client.js'

const events = defineEvents({ tick: z.object({ n: z.number() }) })
type Events = typeof events

/** A client that only records registrations, and emits on demand. */
function fakeClient() {
  const handlers = new Map<string, Set<(...args: unknown[]) => void>>()
  const log: string[] = []
  const client = {
    on(name: string, handler: (...args: unknown[]) => void) {
      log.push(`on ${name}`)
      const set = handlers.get(name) ?? new Set()
      set.add(handler)
      handlers.set(name, set)
      return () => {
        log.push(`off ${name}`)
        set.delete(handler)
      }
    },
    once: () => () => {},
    off: () => {},
    status: { state: 'open' } as ClientStatus,
    lastEventId: 'e-1',
    close: () => log.push('close'),
  } as unknown as Client<Events>
  const emit = (name: string, ...args: unknown[]) => {
    for (const handler of handlers.get(name) ?? []) handler(...args)
  }
  return { client, emit, log }
}

describe('createManagedClient', () => {
  it('keeps handlers until a client is attached, then forwards them', () => {
    const managed = createManagedClient<Events>()
    const seen: number[] = []
    managed.on('tick', ({ n }) => seen.push(n))
    expect(managed.status).toBe(IDLE_STATUS)
    expect(managed.lastEventId).toBeUndefined()

    const { client, emit, log } = fakeClient()
    managed.attach(client)
    expect(log).toEqual(['on tick'])
    emit('tick', { n: 1 }, { id: 'e-1', event: 'tick' })
    expect(seen).toEqual([1])
    expect(managed.status).toEqual({ state: 'open' })
    expect(managed.lastEventId).toBe('e-1')
  })

  it('moves handlers off the old client before closing it, and onto the new one', () => {
    const managed = createManagedClient<Events>()
    const statuses: string[] = []
    managed.on('tidings:status', (status) => statuses.push(status.state))
    const first = fakeClient()
    const second = fakeClient()
    managed.attach(first.client)
    managed.attach(second.client)
    expect(first.log).toEqual(['on tidings:status', 'off tidings:status', 'close'])
    expect(second.log).toEqual(['on tidings:status'])
    first.emit('tidings:status', { state: 'closed' })
    second.emit('tidings:status', { state: 'open' })
    expect(statuses).toEqual(['open'])
  })

  it('removes handlers by the returned function, by off, and after once', () => {
    const managed = createManagedClient<Events>()
    const { client, emit } = fakeClient()
    managed.attach(client)
    const seen: string[] = []
    const a = ({ n }: { n: number }) => seen.push(`a${n}`)
    const remove = managed.on('tick', ({ n }) => seen.push(`b${n}`))
    managed.on('tick', a)
    managed.once('tick', ({ n }) => seen.push(`c${n}`))
    emit('tick', { n: 1 })
    remove()
    managed.off('tick', a)
    emit('tick', { n: 2 })
    expect(seen).toEqual(['b1', 'a1', 'c1'])
  })

  it('counts its own registrations and removes them all, or those of one name', () => {
    const managed = createManagedClient<Events>()
    const { client, emit } = fakeClient()
    managed.attach(client)
    const seen: string[] = []
    managed.on('tick', () => seen.push('tick'))
    managed.on('tick', () => seen.push('tick again'))
    managed.on('tidings:status', () => seen.push('status'))
    expect(managed.listenerCount('tick')).toBe(2)
    managed.removeAllListeners('tick')
    expect(managed.listenerCount('tick')).toBe(0)
    emit('tick', { n: 1 })
    emit('tidings:status', { state: 'open' })
    managed.removeAllListeners()
    emit('tidings:status', { state: 'open' })
    expect(seen).toEqual(['status'])
    expect(managed.listenerCount('tidings:status')).toBe(0)
  })
})
