import type { IncomingMessage, ServerResponse } from 'node:http'
import { createEmitter, type EventStore } from '@tidings/server'
import { clockEvents } from './contract.js'

/** Options of {@link createClockApp}. */
export interface ClockAppOptions {
  /**
   * How often the server emits `server-time`, in milliseconds.
   * @defaultValue 3000 (the seed article's three seconds)
   */
  tickMs?: number
  /**
   * A shared event store (`@tidings/redis`), to serve the clock from several
   * processes (each one ticks).
   * @defaultValue none: the history lives in this process
   */
  store?: EventStore
}

/** The clock example's server side: an emitter and the timer that feeds it. */
export interface ClockApp {
  /** Serves the SSE stream (`GET`); mount it on any path. */
  handle(req: IncomingMessage, res: ServerResponse): void
  /** Stops the timer and closes every stream. */
  close(): Promise<void>
}

/**
 * Emits `server-time` every `tickMs` to every connected page. The emitter keeps
 * a short in-memory history, so a page that reconnects resumes where it left off.
 */
export function createClockApp(options: ClockAppOptions = {}): ClockApp {
  const tickMs = options.tickMs ?? 3000
  const emitter = createEmitter(clockEvents, {
    history: { maxEvents: 100 },
    ...(options.store ? { store: options.store } : {}),
  })
  const tick = () => {
    // With a store, an emit while Redis is down rejects: the next tick tries again.
    Promise.resolve(emitter.emit('server-time', { time: Date.now() })).catch(() => {})
  }
  const timer = setInterval(tick, tickMs)
  // The first tick is emitted at once, so a page that opens now has something to show.
  tick()
  return {
    handle: (req, res) => {
      void emitter.handle(req, res)
    },
    close: async () => {
      clearInterval(timer)
      await emitter.close()
    },
  }
}
