import { Connection } from './connection.js'
import { StreamError } from './errors.js'
import type { Group, Hub } from './hub.js'

/**
 * The SSE transport over a Fetch `ReadableStream` (the body of the `Response`
 * that `emitter.fetch` returns). The stream's own queue is the buffer: its
 * high-water mark is 0, so `-desiredSize` is exactly the bytes the consumer has
 * not read yet, and `pull` means it took everything.
 *
 * It is its own underlying source and its own abort listener, so a connection
 * holds no closures.
 */
export class FetchConnection extends Connection implements UnderlyingDefaultSource<Uint8Array> {
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  readonly stream: ReadableStream<Uint8Array>

  constructor(hub: Hub, id: number, principal: unknown, group: Group) {
    super(hub, id, principal, group, 'sse')
    this.stream = new ReadableStream<Uint8Array>(
      this,
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    )
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#controller = controller
  }

  pull(): void {
    this.drained()
  }

  cancel(): void {
    this.hub.remove(this, 'client')
  }

  /** The request's `AbortSignal` fired: the client went away. */
  handleEvent(): void {
    this.hub.remove(this, 'client')
  }

  get heldBytes(): number {
    return Math.max(0, -(this.#controller?.desiredSize ?? 0))
  }

  write(chunk: Uint8Array): boolean {
    const controller = this.#controller
    if (controller === undefined) return false
    controller.enqueue(chunk)
    return (controller.desiredSize ?? 0) > 0
  }

  end(last: Uint8Array | undefined, reason: 'server' | 'ended' = 'server'): void {
    const controller = this.#controller
    if (this.closed || controller === undefined) return
    this.hub.remove(this, reason)
    if (last) controller.enqueue(last)
    controller.close()
  }

  abort(reason: 'slow' | 'error'): void {
    try {
      this.#controller?.error(
        reason === 'slow'
          ? new StreamError(
              'slow_consumer',
              `The client read too slowly: more than ${this.hub.maxBufferBytes} bytes were waiting (maxBufferBytes), so the stream was cut off; it resumes from history.`,
            )
          : new StreamError('destroyed', 'The stream was torn down by the server.'),
      )
    } catch {
      // Already closed or errored.
    }
  }
}
