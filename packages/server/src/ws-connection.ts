import { CONNECTION, Connection, onPeerClose, onPeerError, type Tagged } from './connection.js'
import type { Group, Hub } from './hub.js'

/** What this transport uses of a `ws` WebSocket (no types of `ws` leak into the API). */
export interface WsSocket {
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Uint8Array, options: { binary: boolean }, callback?: (error?: Error) => void): void
  ping(): void
  close(code: number, reason: string): void
  terminate(): void
  on(event: string, listener: (this: never, ...args: never[]) => void): unknown
}

type TaggedSocket = WsSocket & Tagged<WsConnection>

/**
 * Past this many bytes buffered, a replay page waits for the socket to flush
 * before the next one (the same bound Node streams use by default).
 */
const HIGH_WATER_MARK = 16 * 1024

function onPong(this: TaggedSocket): void {
  const connection = this[CONNECTION]
  if (connection) connection.alive = true
}
// Clients have nothing to say: what they send is read and dropped (`maxPayload`
// closes a socket that sends more than a small bound).
function onMessage(): void {}

/** The WebSocket closes with this code on shutdown: the server restarts, come back. */
export const CLOSE_RESTART = 1012

/**
 * The WebSocket closes with this code and the reason `ended` once every topic
 * it subscribed to ended and it got the end events, or at once when it asked
 * for topics that all ended before its `lastEventId`: do not reconnect. The
 * WebSocket form of HTTP 204 (`4000 + status`, as for refusals).
 */
export const CLOSE_ENDED = 4204

/**
 * The WebSocket transport: every message is one or more complete SSE blocks,
 * the very bytes (and the very buffers) the SSE transport writes, in binary
 * frames, so the client feeds them to the same parser.
 */
export class WsConnection extends Connection {
  readonly #ws: TaggedSocket
  /** Answered the last ping: a peer that misses one heartbeat interval is dead. */
  alive = true
  #flushed: ((error?: Error) => void) | undefined

  constructor(hub: Hub, id: number, principal: unknown, group: Group, ws: WsSocket) {
    super(hub, id, principal, group, 'websocket')
    this.#ws = ws as TaggedSocket
    this.#ws[CONNECTION] = this
    this.#ws.on('close', onPeerClose)
    this.#ws.on('error', onPeerError)
    this.#ws.on('pong', onPong)
    this.#ws.on('message', onMessage)
  }

  get heldBytes(): number {
    return this.#ws.bufferedAmount
  }

  write(chunk: Uint8Array): boolean {
    if (this.#ws.readyState !== 1) return false
    if (this.#ws.bufferedAmount + chunk.byteLength <= HIGH_WATER_MARK) {
      this.#ws.send(chunk, { binary: true })
      return true
    }
    // Only a replay waits for a flush; the callback is made once, for this connection.
    this.#flushed ??= (error) => {
      if (!error) this.drained()
    }
    this.#ws.send(chunk, { binary: true }, this.#flushed)
    return false
  }

  /** Pings the peer, and terminates it when it did not answer the previous ping. */
  override heartbeat(chunk: Uint8Array): void {
    if (!this.alive) {
      this.hub.remove(this, 'error')
      this.#ws.terminate()
      return
    }
    this.alive = false
    this.#ws.ping()
    super.heartbeat(chunk)
  }

  end(last: Uint8Array | undefined, reason: 'server' | 'ended' = 'server'): void {
    if (this.closed) return
    this.hub.remove(this, reason)
    if (this.#ws.bufferedAmount > this.hub.maxBufferBytes) {
      this.#ws.terminate()
      return
    }
    if (last) this.#ws.send(last, { binary: true })
    if (reason === 'ended') this.#ws.close(CLOSE_ENDED, 'ended')
    else this.#ws.close(CLOSE_RESTART, 'server restart')
  }

  abort(): void {
    // Terminated, not closed: a close frame would queue behind the bytes the
    // peer is not reading, and hold them.
    this.#ws.terminate()
  }
}
