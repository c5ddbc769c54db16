/**
 * What the orchestrator, the server process and the client process agree on: contender names, the
 * event payload, the IPC messages, and the clock.
 */

export const CONTENDERS = [
  'raw',
  'tidings',
  'better-sse',
  'socket.io',
  'raw-ws',
  'tidings-ws',
] as const

/**
 * Contenders on Redis, run in the cluster section with one and with two server processes:
 * Tidings on `@tidings/redis`, socket.io with `@socket.io/redis-streams-adapter`. `tidings`
 * (memory) runs there too, as the cost-of-going-distributed baseline.
 */
export const REDIS_CONTENDERS = ['tidings-redis', 'socket.io-redis'] as const

/**
 * Variants of the raw loop that isolate where a fan-out's time goes; run them by naming them in
 * `BENCH_ONLY`. `raw-tick`: the events of one tick joined into one `Buffer`, one `res.write` per
 * connection per tick (Tidings' strategy without Tidings). `raw-tick-cork`: the same, each write
 * between `res.cork()` and `res.uncork()`, so Node sends it at once instead of scheduling one
 * `process.nextTick` per response to uncork. `raw-tick-close`: the same as `raw-tick` on a
 * close-delimited body (no chunked framing, so Node writes straight to the socket without
 * corking it for a tick). `raw-tick-immediate`: `raw-tick` flushed in `setImmediate` instead of a
 * microtask, so events emitted from separate callbacks of one loop turn still share a write (see
 * `BENCH_EMIT=split`).
 */
export const EXPERIMENTS = [
  'raw-tick',
  'raw-tick-cork',
  'raw-tick-close',
  'raw-tick-immediate',
] as const
export type ContenderName =
  | (typeof CONTENDERS)[number]
  | (typeof EXPERIMENTS)[number]
  | (typeof REDIS_CONTENDERS)[number]
export const ALL_CONTENDERS: readonly ContenderName[] = [
  ...CONTENDERS,
  ...EXPERIMENTS,
  ...REDIS_CONTENDERS,
]

/**
 * How a load client speaks to a contender: a plain SSE GET, a plain WebSocket upgrade (the server
 * sends, the client only reads), or engine.io v4 over a WebSocket.
 */
export type Wire = 'sse' | 'ws' | 'socket.io'

export const EVENT_NAME = 'tick'

/**
 * Every payload is a JSON object whose first key is `t` (emit time in microseconds of the shared
 * monotonic clock), so the clients find one event per occurrence of this marker in the raw bytes,
 * whatever framing a contender uses (SSE over chunked HTTP, WebSocket frames).
 */
export const TIME_MARKER = '"t":'

export interface TickPayload {
  t: number
  seq: number
  msg: string
}

/** About 70 bytes of JSON, a typical small notification. */
export const MESSAGE_TEXT = 'the quick brown fox jumps over the lazy dog'

/**
 * The per-user scenario's event to `team`, beside `tick` to one user. Its
 * payload has no `"t":` key, so the clients count per-user events only; the
 * `team` deliveries are known (every connection gets each one).
 */
export const TEAM_EVENT = 'team'

export interface TeamPayload {
  team: number
  msg: string
}

/**
 * Microseconds of CLOCK_MONOTONIC (libuv's hrtime): one clock for every process on the machine, so
 * a timestamp written by the server can be compared with the client's receive time.
 */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

export interface CpuTime {
  user: number
  system: number
}

// ---- server process ----

export type ServerRequest =
  | { cmd: 'subscribers' }
  | { cmd: 'full-start'; burst: number; split: boolean; maxPendingBytes: number }
  /**
   * Full rate, per-user: each turn emits `burst` `tick` events, each to a random
   * `user:<k>` (k < `users`); besides, `teamRate` `team` events per second to `team`.
   */
  | { cmd: 'users-start'; users: number; burst: number; teamRate: number; maxPendingBytes: number }
  | { cmd: 'mark' }
  | { cmd: 'full-stop' }
  | { cmd: 'paced'; rate: number; durationMs: number }
  | { cmd: 'memory' }
  | { cmd: 'stats' }

export interface ServerMark {
  cpu: CpuTime
  /** Events emitted at full rate (per-user events only, in the per-user scenario). */
  emitted: number
  /** Events emitted to `team` (per-user scenario). */
  teamEmitted: number
  bursts: number
  gated: number
  atMicros: number
}

export interface ServerReady {
  port: number
  path: string
  wire: Wire
}

// ---- client process ----

export type ClientRequest =
  | {
      cmd: 'connect'
      port: number
      path: string
      wire: Wire
      total: number
      concurrency: number
      /**
       * Per-user scenario: connection i subscribes to `team`, and to `user:<i>` when i < `users`
       * (query `topic=team&topic=user:<k>` for SSE, `rooms=team,user:<k>` for socket.io).
       */
      users?: number | undefined
    }
  | { cmd: 'latency-reset' }
  | { cmd: 'latency-report' }
  | { cmd: 'mark' }
  | { cmd: 'close' }

export interface ClientMark {
  /** Events received (in the per-user scenario: per-user events, not `team` ones). */
  received: number
  bytes: number
  open: number
  closed: number
  cpu: CpuTime
  atMicros: number
}

export interface LatencyReport {
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}
