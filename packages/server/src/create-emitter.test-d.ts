import { defineEvents } from '@tidings/schema'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { createEmitter } from './create-emitter.js'
import type { ConnectionInfo, EmitterOptions } from './options.js'
import type { EventStore } from './store.js'

const events = defineEvents({
  'server-time': z.object({ time: z.number() }),
  'chat:message': z.object({ user: z.string(), text: z.string().max(2000) }),
  ping: z.object({ at: z.number().default(0) }),
})

describe('createEmitter types', () => {
  const emitter = createEmitter(events)

  it('accepts contract names with their payloads and returns the id', () => {
    expectTypeOf(emitter.emit('server-time', { time: 1 })).toEqualTypeOf<string>()
    emitter.to('room:lobby').emit('chat:message', { user: 'ada', text: 'hi' })
    emitter.to(['a', 'b']).emit('server-time', { time: 2 })
    // The payload is the schema INPUT: defaulted fields may be left out.
    emitter.emit('ping', {})
  })

  it('rejects unknown names and wrong payloads', () => {
    // @ts-expect-error not an event of the contract
    emitter.emit('server-tick', { time: 1 })
    // @ts-expect-error time must be a number
    emitter.emit('server-time', { time: 'noon' })
    // @ts-expect-error missing field
    emitter.emit('server-time', {})
    // @ts-expect-error wrong payload through a topic publisher as well
    emitter.to('room').emit('chat:message', { user: 'ada' })
    // @ts-expect-error reserved names are not events of any contract
    emitter.emit('tidings:gap', { reason: 'expired', lastEventId: '' })
  })

  it('infers the principal from authorize for canSubscribe and the hooks', () => {
    createEmitter(events, {
      authorize: async () => ({ user: 'ada', rooms: ['lobby'] }),
      canSubscribe: (principal, topic) => {
        expectTypeOf(principal).toEqualTypeOf<{ user: string; rooms: string[] }>()
        return principal.rooms.includes(topic)
      },
      onConnect: (info) => {
        expectTypeOf(info.principal.user).toEqualTypeOf<string>()
        expectTypeOf(info.topics).toEqualTypeOf<readonly string[]>()
      },
      onDisconnect: (info) => {
        expectTypeOf(info.reason).toEqualTypeOf<'client' | 'slow' | 'server' | 'ended' | 'error'>()
      },
    })
    createEmitter(events, {
      onConnect: (info) => expectTypeOf(info).toEqualTypeOf<ConnectionInfo<undefined>>(),
    })
  })

  it('returns the id itself in memory, a promise of it with a store, and says so when it cannot know', () => {
    expectTypeOf(createEmitter(events).emit('server-time', { time: 1 })).toEqualTypeOf<string>()
    const store = {} as EventStore
    const shared = createEmitter(events, { store })
    expectTypeOf(shared.emit('server-time', { time: 1 })).toEqualTypeOf<Promise<string>>()
    expectTypeOf(shared.to('a').emit('server-time', { time: 1 })).toEqualTypeOf<Promise<string>>()
    const maybe = createEmitter(events, {} as EmitterOptions)
    expectTypeOf(maybe.emit('server-time', { time: 1 })).toEqualTypeOf<string | Promise<string>>()
  })

  it('ends topics: nothing in memory, a promise with a store, both when it cannot know', () => {
    expectTypeOf(createEmitter(events).to('run:1').end()).toEqualTypeOf<undefined>()
    createEmitter(events).to(['a', 'b']).end('cancelled')
    createEmitter(events).to('a').end('my-own-reason')
    const shared = createEmitter(events, { store: {} as EventStore })
    expectTypeOf(shared.to('a').end('failed')).toEqualTypeOf<Promise<void>>()
    const maybe = createEmitter(events, {} as EmitterOptions)
    expectTypeOf(maybe.to('a').end()).toEqualTypeOf<Promise<void> | undefined>()
    // @ts-expect-error end is for topics: a broadcast has nothing to end
    emitter.end()
    // @ts-expect-error a reason is a string
    emitter.to('a').end(1)
  })

  it('offers the handlers and the upgrade', () => {
    expectTypeOf(emitter.upgrade).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(emitter.fetch).parameter(0).toEqualTypeOf<Request>()
    expectTypeOf(emitter.fetch).returns.toEqualTypeOf<Promise<Response>>()
  })
})
