import type { Group, Hub } from './hub.js'

/** Why a stream ended, as reported to `onDisconnect`. */
export type DisconnectReason =
  /** The client went away. */
  | 'client'
  /** Its buffer passed `maxBufferBytes`: the server cut it off (it resumes from history). */
  | 'slow'
  /** The server ended it: `close()`. */
  | 'server'
  /** Writing to it failed. */
  | 'error'

/**
 * One open stream, behind which sits a transport (the Node response, a Fetch
 * `ReadableStream`; a WebSocket later). The fan-out only calls `send`, and a
 * transport only reports back through `hub.remove`, so the two never depend on
 * each other's details.
 *
 * Kept deliberately small: idle memory per connection is a figure that matters
 * at tens of thousands of streams, so no timers, no closures, no per-connection
 * copies of the data (queued chunks are the shared buffers themselves).
 */
export abstract class Connection {
  /** Set once the connection left the hub; every later call is a no-op. */
  closed = false
  /** Chunks waiting for the transport to drain, or `null` while it keeps up. */
  protected queue: Uint8Array[] | null = null
  protected queuedBytes = 0
  protected queuedEvents = 0

  constructor(
    readonly hub: Hub,
    readonly id: number,
    readonly principal: unknown,
    /** The topics, shared with every connection subscribed to the same set. */
    readonly group: Group,
  ) {}

  /**
   * Writes a chunk carrying `events` events (for the dropped-events count).
   * Never blocks: a transport that cannot take it now queues it, and a queue
   * past `maxBufferBytes` cuts the connection off.
   */
  abstract send(chunk: Uint8Array, events: number): void

  /** Writes the block a stream starts with (hello, then replay or gap). */
  sendStart(chunk: Uint8Array): void {
    this.send(chunk, 0)
  }

  /** Ends the stream cleanly after a last chunk (the shutdown `retry:` hint). */
  abstract end(last: Uint8Array | undefined): void

  /** Tears the stream down at once (a slow consumer, a failed write). */
  abstract destroy(): void

  /** Whether chunks are waiting for the transport to drain. */
  get backlogged(): boolean {
    return this.queue !== null
  }

  /** Events queued but not yet handed to the transport (counted as dropped on a cut-off). */
  get pendingEvents(): number {
    return this.queuedEvents
  }
}
