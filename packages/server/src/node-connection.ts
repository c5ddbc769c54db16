import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import { Connection } from './connection.js'
import { concatBytes } from './frames.js'
import type { Group, Hub } from './hub.js'

/** A Node response, from `http`, `https` or the `http2` compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse

const CONNECTION = Symbol('tidings.connection')

/**
 * What this transport uses of a response: the part `http` and `http2` compat
 * responses have in common (their full types' overloads do not unify).
 */
export interface Writable {
  write(chunk: Uint8Array): boolean
  writeHead(status: number, headers: Record<string, string>): unknown
  end(chunk?: string): unknown
  destroy(): unknown
  on(event: string, listener: (this: never, error: never) => void): unknown
  readonly headersSent: boolean
  readonly writableEnded: boolean
  readonly destroyed: boolean
  readonly socket: { readonly destroyed: boolean } | null
}

type Tagged = Writable & { [CONNECTION]?: NodeConnection }

// Listeners are shared functions that find their connection through a symbol on
// the response: no closure per connection.
function onDrain(this: Tagged): void {
  this[CONNECTION]?.drain()
}
function onClose(this: Tagged): void {
  const connection = this[CONNECTION]
  if (connection) connection.hub.remove(connection, 'client')
}
function onError(this: Tagged, error: unknown): void {
  const connection = this[CONNECTION]
  if (!connection || connection.closed) return
  connection.hub.remove(connection, 'error')
  connection.hub.events.failed(connection, error)
}

/** The SSE transport over a Node response: `res.write`, honouring `drain`. */
export class NodeConnection extends Connection {
  readonly #res: Tagged

  constructor(hub: Hub, id: number, principal: unknown, group: Group, res: NodeResponse) {
    super(hub, id, principal, group)
    this.#res = res as unknown as Tagged
    this.#res[CONNECTION] = this
    this.#res.on('drain', onDrain)
    this.#res.on('close', onClose)
    this.#res.on('error', onError)
  }

  send(chunk: Uint8Array, events: number): void {
    if (this.closed) return
    if (this.queue !== null) {
      this.queue.push(chunk)
      this.queuedBytes += chunk.byteLength
      this.queuedEvents += events
      if (this.queuedBytes > this.hub.maxBufferBytes) {
        this.hub.remove(this, 'slow')
        this.#res.destroy()
      }
      return
    }
    this.hub.counters.bytesWritten += chunk.byteLength
    // Node keeps the chunk it could not send at once; later ones wait in our
    // queue (references to the shared buffers, no copies) until `drain`.
    if (!this.#res.write(chunk)) this.queue = []
  }

  /** Called on `drain`: hands the whole queue over in one write. */
  drain(): void {
    const queue = this.queue
    if (queue === null || this.closed) return
    const bytes = this.queuedBytes
    this.queue = null
    this.queuedBytes = 0
    this.queuedEvents = 0
    if (queue.length > 0) this.send(concatBytes(queue, bytes), 0)
  }

  end(last: Uint8Array | undefined): void {
    if (this.closed) return
    this.hub.remove(this, 'server')
    // A connection still waiting to drain would hold the shutdown up: cut it.
    if (this.queue !== null) {
      this.#res.destroy()
      return
    }
    if (last) this.#res.write(last)
    this.#res.end()
  }

  destroy(): void {
    if (!this.closed) this.hub.remove(this, 'error')
    this.#res.destroy()
  }
}
