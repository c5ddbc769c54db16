import type { Group, Hub } from './hub.js'
import type { StreamStart } from './stream-start.js'

/** Why a stream ended, as reported to `onDisconnect`. */
export type DisconnectReason =
  /** The client went away. */
  | 'client'
  /** It held more than `maxBufferBytes` unread: the server cut it off (it resumes from history). */
  | 'slow'
  /** The server ended it: `close()`. */
  | 'server'
  /** Every topic it subscribed to ended (`to(topic).end()`), and it got the end events. */
  | 'ended'
  /** Writing to it failed. */
  | 'error'

/** The transports a stream can run on. */
export type TransportKind = 'sse' | 'websocket'

/**
 * Where a transport's response or socket keeps its connection, so that its
 * listeners are shared functions, not a closure per connection.
 */
export const CONNECTION = Symbol('tidings.connection')

/** A response or socket that carries its connection under {@link CONNECTION}. */
export interface Tagged<C extends Connection = Connection> {
  [CONNECTION]?: C
}

/** The shared `close` listener: the peer went away. */
export function onPeerClose(this: Tagged): void {
  const connection = this[CONNECTION]
  if (connection) connection.hub.remove(connection, 'client')
}

/** The shared `error` listener: the transport failed under an open stream. */
export function onPeerError(this: Tagged, error: unknown): void {
  const connection = this[CONNECTION]
  if (!connection || connection.closed) return
  connection.hub.remove(connection, 'error')
  connection.hub.events.failed(connection, error)
}

/**
 * One open stream, behind which sits a transport (a Node response, a Fetch
 * `ReadableStream`, a WebSocket). The fan-out only calls `send`, and a
 * transport only reports back through `hub.remove` and `drained`, so the two
 * never depend on each other's details.
 *
 * The memory bound covers everything the connection holds that the peer has not
 * taken: `heldBytes` is read from the transport itself (what it buffers and
 * what its socket buffers), so bytes handed over while the transport still
 * accepted count as much as bytes it queued. Nothing is copied per connection:
 * what a transport holds are references to the shared, encoded buffers.
 *
 * Kept deliberately small: idle memory per connection matters at tens of
 * thousands of streams, so no timers and no closures per connection.
 */
export abstract class Connection {
  /** Set once the connection left the hub; every later call is a no-op. */
  closed = false
  /** The replay in progress before it joins the live fan-out; `undefined` once live. */
  starting: StreamStart | undefined = undefined

  constructor(
    readonly hub: Hub,
    readonly id: number,
    readonly principal: unknown,
    /** The topics, shared with every connection subscribed to the same set. */
    readonly group: Group,
    readonly transport: TransportKind,
  ) {}

  /** Bytes handed to the transport that the peer has not taken yet. */
  abstract get heldBytes(): number

  /**
   * Hands a chunk to the transport (it keeps a reference, never a copy).
   * Returns `false` when the transport would rather wait: it then calls
   * {@link Connection.drained} once it can take more.
   */
  abstract write(chunk: Uint8Array): boolean

  /**
   * Ends the stream cleanly after a last chunk (the shutdown `retry:` hint);
   * `ended` when its topics all ended (a WebSocket then closes with 4204).
   */
  abstract end(last: Uint8Array | undefined, reason?: 'server' | 'ended'): void

  /** Tears the transport down at once: a slow consumer, a failed write. */
  abstract abort(reason: 'slow' | 'error'): void

  /**
   * A live write from the fan-out. A connection that still holds more than
   * `maxBufferBytes` is cut off instead: it is not reading, and it resumes from
   * history when it comes back.
   */
  send(chunk: Uint8Array, events: number): void {
    if (this.closed) return
    if (this.heldBytes > this.hub.maxBufferBytes) {
      this.hub.cutOff(this, events)
      return
    }
    this.hub.counters.bytesWritten += chunk.byteLength
    this.write(chunk)
  }

  /** As {@link Connection.send}, for several shared chunks written one after the other. */
  sendMany(chunks: readonly { readonly chunk: Uint8Array }[], events: number): void {
    if (this.closed) return
    if (this.heldBytes > this.hub.maxBufferBytes) {
      this.hub.cutOff(this, events)
      return
    }
    for (const { chunk } of chunks) {
      this.hub.counters.bytesWritten += chunk.byteLength
      this.write(chunk)
    }
  }

  /**
   * The heartbeat tick: the comment is written to a stream that holds nothing
   * unread (bytes still waiting tell the peer as much, once it reads them).
   * Transports with a liveness check of their own (WebSocket pings) add it here.
   */
  heartbeat(chunk: Uint8Array): void {
    if (this.heldBytes > 0) return
    this.hub.counters.bytesWritten += chunk.byteLength
    this.write(chunk)
  }

  /** The transport can take more: a replay waiting for it goes on. */
  drained(): void {
    this.starting?.run()
  }

  /** Tears the stream down and takes it out of the hub (a failed write). */
  destroy(): void {
    if (!this.closed) this.hub.remove(this, 'error')
    this.abort('error')
  }
}
