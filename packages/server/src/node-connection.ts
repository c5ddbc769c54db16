import type { ServerResponse } from 'node:http'
import type { Http2ServerResponse } from 'node:http2'
import { CONNECTION, Connection, onPeerClose, onPeerError, type Tagged } from './connection.js'
import type { Group, Hub } from './hub.js'

/** A Node response, from `http`, `https` or the `http2` compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse

/**
 * What this transport uses of a response: the part `http` and `http2` compat
 * responses have in common (their full types' overloads do not unify).
 */
export interface Writable {
  write(chunk: Uint8Array): boolean
  writeHead(status: number, headers: Record<string, string>): unknown
  end(chunk?: string | Uint8Array): unknown
  destroy(): unknown
  on(event: string, listener: (this: never, error: never) => void): unknown
  readonly headersSent: boolean
  readonly writableEnded: boolean
  /** What the response and its socket buffer: bytes handed over, not yet sent. */
  readonly writableLength: number
  readonly destroyed: boolean
  readonly socket: { readonly destroyed: boolean } | null
}

type TaggedResponse = Writable & Tagged<NodeConnection>

function onDrain(this: TaggedResponse): void {
  this[CONNECTION]?.drained()
}

/**
 * The SSE transport over a Node response: `res.write`, honouring `drain`. Node
 * corks a response's socket for the rest of the tick on its first write, so
 * several chunks written in one tick leave in one vectored write.
 */
export class NodeConnection extends Connection {
  readonly #res: TaggedResponse

  constructor(hub: Hub, id: number, principal: unknown, group: Group, res: NodeResponse) {
    super(hub, id, principal, group, 'sse')
    this.#res = res as unknown as TaggedResponse
    this.#res[CONNECTION] = this
    this.#res.on('drain', onDrain)
    this.#res.on('close', onPeerClose)
    this.#res.on('error', onPeerError)
  }

  get heldBytes(): number {
    return this.#res.writableLength
  }

  write(chunk: Uint8Array): boolean {
    return this.#res.write(chunk)
  }

  end(last: Uint8Array | undefined, reason: 'server' | 'ended' = 'server'): void {
    if (this.closed) return
    this.hub.remove(this, reason)
    // A connection that still holds unsent bytes would hold the shutdown up: cut it.
    if (this.#res.writableLength > this.hub.maxBufferBytes) {
      this.#res.destroy()
      return
    }
    if (last) this.#res.end(last)
    else this.#res.end()
  }

  abort(): void {
    this.#res.destroy()
  }
}
