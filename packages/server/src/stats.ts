import type { GapReason } from '@tidings/schema'
import type { TransportKind } from './connection.js'
import type { HttpErrorCode } from './errors.js'

/** The upper bounds (ms) of the emit-to-write latency histogram's buckets; a last one is +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000,
]

/**
 * A latency histogram with fixed buckets: one counter per bucket, no samples
 * kept, so recording costs a few comparisons and memory stays constant.
 */
export class Histogram {
  readonly counts: number[] = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0)
  sumMs = 0
  count = 0

  record(ms: number): void {
    let index = 0
    while (index < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[index]!) index++
    this.counts[index]!++
    this.sumMs += ms
    this.count++
  }
}

/** The counters behind `emitter.stats()`, owned by the hub and the core. */
export class Counters {
  eventsEmitted = 0
  bytesWritten = 0
  eventsDropped = 0
  slowConsumers = 0
  connectionsOpened = 0
  requestsRejected = 0
  replays = 0
  endedReplies = 0
  historyReads = 0
  readonly transports: Record<TransportKind, number> = { sse: 0, websocket: 0 }
  readonly gaps: Record<GapReason, number> = {
    malformed: 0,
    'other-epoch': 0,
    expired: 0,
    unknown: 0,
    reset: 0,
  }
  readonly rejections: Partial<Record<HttpErrorCode, number>> = {}
  readonly emitToWrite = new Histogram()
}
