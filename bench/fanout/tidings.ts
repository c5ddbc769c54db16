import type { Server } from 'node:http'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { z } from 'zod'
import type { Contender } from './contenders.js'
import { EVENT_NAME, TEAM_EVENT } from './protocol.js'

const events = defineEvents({
  [EVENT_NAME]: z.object({ t: z.number(), seq: z.number(), msg: z.string() }),
  [TEAM_EVENT]: z.object({ team: z.number(), msg: z.string() }),
})

/**
 * Tidings as a user would run it: `createEmitter` with its defaults (validation on, memory
 * history), `emitter.handle` on a Node `http` server, `emitter.emit` for every event
 * (`emitter.to(topic).emit` in the per-user scenario).
 * `BENCH_TIDINGS_VALIDATE=0` turns validation off to see its share.
 */
export async function createTidings(server: Server): Promise<Contender> {
  const emitter = createEmitter(events, {
    validate: process.env.BENCH_TIDINGS_VALIDATE !== '0',
  })
  server.on('request', (req, res) => {
    void emitter.handle(req, res)
  })
  return {
    path: '/events',
    wire: 'sse',
    subscribers: () => emitter.stats().connections,
    emit: (payload) => {
      emitter.emit(EVENT_NAME, payload)
    },
    emitTo: (topic, payload) => {
      if ('team' in payload) emitter.to(topic).emit(TEAM_EVENT, payload)
      else emitter.to(topic).emit(EVENT_NAME, payload)
    },
    stats: () => {
      const { slowConsumers, eventsDropped } = emitter.stats()
      return { slowConsumers, eventsDropped }
    },
  }
}
