/**
 * What the memory bench's orchestrator, server process and load process agree
 * on: contenders, the event, the marker the load counts, the IPC requests.
 */

export const CONTENDERS = ['tidings', 'better-sse', 'socket.io'] as const
export type ContenderName = (typeof CONTENDERS)[number]

/** How the load speaks to a contender: a plain SSE GET, or engine.io v4 over a WebSocket. */
export type Wire = 'sse' | 'socket.io'

export const EVENT_NAME = 'blob'

/** Every payload is `{"n":<i>,"pad":"..."}`; readers count events by this marker in the raw bytes. */
export const EVENT_MARKER = '{"n":'

export interface BlobPayload {
  n: number
  pad: string
}

export interface ServerOptions {
  /** Tidings' `maxBufferBytes`. */
  readonly maxBufferBytes: number
  /** Tidings' memory history `maxEvents`. */
  readonly historyEvents: number
}

export interface ServerReady {
  readonly port: number
  readonly wire: Wire
  /** The path without query; the load appends `?topic=...` (SSE) or the engine.io query. */
  readonly path: string
}

export interface Peak {
  /** Peak RSS since the last reset: the kernel's high-water mark (VmHWM) where readable. */
  readonly rss: number
  /** How it was measured: `VmHWM` (exact) or `sampled` (every 5 ms, between ticks). */
  readonly source: 'VmHWM' | 'sampled'
}

export type ServerRequest =
  /** Streams ever opened (accepted and registered), whatever happened to them since. */
  | { cmd: 'opened' }
  /** Emits `count` broadcast events of `size` bytes into the history; returns the first id. */
  | { cmd: 'prime'; count: number; size: number }
  /** `gc()` three times, then `process.memoryUsage()`. */
  | { cmd: 'memory' }
  /** Starts a new peak window. */
  | { cmd: 'reset-peak' }
  | { cmd: 'peak' }
  /** Emits `count` events of `size` bytes to `topic`, all in one tick. */
  | { cmd: 'burst'; count: number; size: number; topic: string }
  /** Contender counters (Tidings: `emitter.stats()`). */
  | { cmd: 'stats' }

export type LoadRequest =
  | {
      cmd: 'open'
      port: number
      wire: Wire
      path: string
      count: number
      /** Read as fast as possible (true) or never read after the handshake (false). */
      read: boolean
      /** Resume from this id (`Last-Event-ID`). */
      lastEventId?: string | undefined
      /** Subscribe each stream to `team` and `user:<i>`; without, no topics. */
      perUser: boolean
    }
  /** Events received by all readers together, and connections closed by the server. */
  | { cmd: 'progress' }
  | { cmd: 'close' }

export interface LoadProgress {
  readonly events: number
  readonly bytes: number
  readonly closed: number
}
