import type { Server } from 'node:http'
import { defineEvents } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import { z } from 'zod'
import type { Contender } from './contenders.js'
import { EVENT_NAME } from './protocol.js'

const events = defineEvents({
  [EVENT_NAME]: z.object({ t: z.number(), seq: z.number(), msg: z.string() }),
})

/**
 * Tidings as a user would run it: `createEmitter` with its defaults (validation on, memory
 * history), `emitter.handle` on a Node `http` server, `emitter.emit` for every event.
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
    stats: () => {
      const { slowConsumers, eventsDropped } = emitter.stats()
      return { slowConsumers, eventsDropped }
    },
  }
}
