import { Connection } from './connection.js'
import { StreamError } from './errors.js'
import type { Group, Hub } from './hub.js'

/**
 * The SSE transport over a Fetch `ReadableStream` (the body of the `Response`
 * that `emitter.fetch` returns). The stream's own queue is the buffer: its
 * high-water mark is 0, so `-desiredSize` is exactly the bytes the consumer has
 * not read yet.
 *
 * It is its own underlying source and its own abort listener, so a connection
 * holds no closures.
 */
export class FetchConnection extends Connection implements UnderlyingDefaultSource<Uint8Array> {
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  /** The start block may be a large replay: it does not count against the limit. */
  #allowance = 0
  readonly stream: ReadableStream<Uint8Array>

  constructor(hub: Hub, id: number, principal: unknown, group: Group) {
    super(hub, id, principal, group)
    this.stream = new ReadableStream<Uint8Array>(
      this,
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    )
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller
  }

  cancel(): void {
    this.hub.remove(this, 'client')
  }

  /** The request's `AbortSignal` fired: the client went away. */
  handleEvent(): void {
    this.hub.remove(this, 'client')
  }

  /** Writes the start block (hello, replay or gap), exempt from the buffer limit. */
  override sendStart(chunk: Uint8Array): void {
    this.#allowance = chunk.byteLength
    this.send(chunk, 0)
  }

  send(chunk: Uint8Array, events: number): void {
    const controller = this.#controller
    if (this.closed || controller === undefined) return
    controller.enqueue(chunk)
    this.hub.counters.bytesWritten += chunk.byteLength
    const queued = -(controller.desiredSize ?? 0)
    if (queued > this.hub.maxBufferBytes + this.#allowance) {
      this.queuedEvents = events
      this.hub.remove(this, 'slow')
      controller.error(
        new StreamError(
          'slow_consumer',
          `The client read too slowly: more than ${this.hub.maxBufferBytes} bytes were waiting (maxBufferBytes), so the stream was cut off; it resumes from history.`,
        ),
      )
    }
  }

  end(last: Uint8Array | undefined): void {
    const controller = this.#controller
    if (this.closed || controller === undefined) return
    this.hub.remove(this, 'server')
    if (last) controller.enqueue(last)
    controller.close()
  }

  destroy(): void {
    if (!this.closed) this.hub.remove(this, 'error')
    try {
      this.#controller?.error(
        new StreamError('destroyed', 'The stream was torn down by the server.'),
      )
    } catch {
      // Already closed or errored.
    }
  }
}
