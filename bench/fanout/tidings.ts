import type { Server } from 'node:http'
import { defineEvents } from '@tidings/schema'
import { createEmitter, type EventStore } from '@tidings/server'
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
 *
 * Variants: `ws`, the same emitter's WebSocket transport (`emitter.upgrade`; the heartbeat is
 * a minute so no ping needs the load client's pong); `redis`, the emitter on `@tidings/redis`
 * (`BENCH_REDIS_PORT`, keys under `BENCH_REDIS_PREFIX`): `emit` resolves once Redis stored the
 * event, and the in-flight count is the contender's backlog.
 */
export async function createTidings(
  server: Server,
  variant: 'sse' | 'ws' | 'redis' = 'sse',
): Promise<Contender> {
  const validate = process.env.BENCH_TIDINGS_VALIDATE !== '0'
  let store: EventStore | undefined
  if (variant === 'redis') {
    const [{ Redis }, { createRedisStore }] = await Promise.all([
      import('ioredis'),
      import('@tidings/redis'),
    ])
    const redis = new Redis(Number(process.env.BENCH_REDIS_PORT), '127.0.0.1')
    store = createRedisStore({ redis, prefix: process.env.BENCH_REDIS_PREFIX ?? 'bench' })
  }
  const emitter = createEmitter(events, {
    validate,
    ...(store ? { store } : {}),
    ...(variant === 'ws' ? { heartbeatMs: 60_000 } : {}),
  })
  server.on('request', (req, res) => {
    void emitter.handle(req, res)
  })
  if (variant === 'ws') {
    server.on('upgrade', (req, socket, head) => void emitter.upgrade(req, socket, head))
  }
  let inFlight = 0
  const settle = () => {
    inFlight--
  }
  const track = (emitted: string | Promise<string>) => {
    if (typeof emitted === 'string') return
    inFlight++
    emitted.then(settle, settle)
  }
  return {
    path: '/events',
    wire: variant === 'ws' ? 'ws' : 'sse',
    subscribers: () => emitter.stats().connections,
    backlog: () => inFlight,
    emit: (payload) => {
      track(emitter.emit(EVENT_NAME, payload))
    },
    emitTo: (topic, payload) => {
      if ('team' in payload) track(emitter.to(topic).emit(TEAM_EVENT, payload))
      else track(emitter.to(topic).emit(EVENT_NAME, payload))
    },
    stats: () => {
      const { slowConsumers, eventsDropped } = emitter.stats()
      return { slowConsumers, eventsDropped }
    },
  }
}
