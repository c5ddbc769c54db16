import {
  type AnyContract,
  type EndInfo,
  type EventName,
  type EventOutput,
  LAST_EVENT_ID_PARAM,
  parseEventId,
  REPLAY_PARAM,
  TOPIC_PARAM,
} from '@tidings/schema'
import { createClientEvents, listenerMethods } from './client-events.js'
import { createDelivery } from './delivery.js'
import { createEnds } from './ends.js'
import { createLifecycle, type Lifecycle } from './lifecycle.js'
import type { DebugInfo, SseClientOptions } from './options.js'
import type { ClientStatus, LifecycleEvents } from './status.js'
import type { Transport } from './transport.js'

/** What a contract event's handler receives beside the payload. */
export interface EventMeta<TName extends string = string> {
  /** The event's id (its resume position), if the server sent one. */
  readonly id: string | undefined
  /** The event's name. */
  readonly event: TName
}

/** Every name `client.on` accepts: the contract's events and the lifecycle events. */
export type ClientEventName<TContract extends AnyContract> =
  | EventName<TContract>
  | { [TName in keyof LifecycleEvents]: TName }[keyof LifecycleEvents]

// The same union spelled out: distributing over it drops the alias, so the compiler
// error for a misspelled name lists the valid names instead of naming the alias.
type Listed<T> = T extends string ? T : never

/** The handler type for `name`: payload and meta for contract events, one value for lifecycle events. */
export type ClientHandler<
  TContract extends AnyContract,
  TName extends ClientEventName<TContract>,
> = TName extends keyof LifecycleEvents
  ? (value: LifecycleEvents[TName]) => void
  : TName extends EventName<TContract>
    ? (payload: EventOutput<TContract, TName>, meta: EventMeta<TName>) => void
    : never

/** A connection to a Tidings (or any SSE) endpoint; see `createClient`. */
export interface Client<TContract extends AnyContract> {
  /**
   * Calls `handler` for every `name` event: a contract event with its validated
   * payload (the schema's output type) and {@link EventMeta}, or a lifecycle event
   * (`'tidings:status' | 'tidings:error' | 'tidings:gap' | 'tidings:end'`). A handler that throws
   * does not stop the stream or the other handlers; its error is rethrown
   * asynchronously (reported like an uncaught error).
   * @returns a function that removes this handler
   * @example
   * const off = client.on('server-time', ({ time }, { id }) => render(time))
   */
  on<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): () => void
  /** As {@link Client.on}, for the next `name` event only. */
  once<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): () => void
  /** Removes `handler` from `name` (whether added with `on` or `once`). */
  off<TName extends Listed<ClientEventName<TContract>>>(
    name: TName,
    handler: ClientHandler<TContract, TName>,
  ): void
  /** The current status; changes are also emitted as `'tidings:status'`. */
  readonly status: ClientStatus
  /**
   * The id of the last event processed (or the position a server bookmarked): the
   * client resumes from it on reconnect. Save it to resume after a page reload
   * with the `lastEventId` option.
   */
  readonly lastEventId: string | undefined
  /**
   * Resolves with the {@link EndInfo} of `topic` once its `'tidings:end'` event is
   * processed (at once when it already was), or with `undefined` once the client
   * closes before that (`close()`, the `signal` option, a fatal error, or an
   * HTTP 204). It never rejects, so a promise nobody awaits any more cannot raise
   * an unhandled rejection. The client must hold `topic` (the `topics` option)
   * for its end to arrive.
   * @example
   * const end = await client.ended('run:42')
   * if (end?.reason === 'cancelled') showCancelled()
   */
  ended(topic: string): Promise<EndInfo | undefined>
  /** How many handlers `name` has. */
  listenerCount(name: Listed<ClientEventName<TContract>>): number
  /** Removes every handler of `name`, or of every name (`onDebug` stays). */
  removeAllListeners(name?: Listed<ClientEventName<TContract>>): void
  /** Closes for good: aborts the request, clears every timer, emits status `closed`. */
  close(): void
}

// Report an error thrown by application code the way EventTarget does, without
// stopping the stream: `reportError` where the platform has it (browsers, Deno),
// else an asynchronous rethrow (Node: an uncaught exception, as for any listener).
export const rethrow = (error: unknown): void => {
  const { reportError } = globalThis as { reportError?: (error: unknown) => void }
  if (reportError) reportError(error)
  else
    queueMicrotask(() => {
      throw error
    })
}

/**
 * Puts a client together: the listeners (eventemitter3), the delivery stage
 * (parser, ids, dedupe, gap, validation), the lifecycle (reconnects, timers,
 * status) and the transport `makeTransport` returns (it gets the `onDebug`
 * reporter). The entry points choose the transport.
 */
export function assembleClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: SseClientOptions,
  makeTransport: (debug: (info: DebugInfo) => void) => Transport,
): Client<TContract> {
  // Tab sharing builds the client itself (with this transport), in its own entry.
  if (options.share) {
    return options.share.client(contract, url, { ...options, share: undefined }, makeTransport)
  }
  const events = createClientEvents(rethrow)
  const debug = (info: DebugInfo): void => {
    try {
      options.onDebug?.(info)
    } catch (error) {
      rethrow(error)
    }
  }
  // Resume with the query parameter rather than Last-Event-ID: a header outside the
  // CORS safelist costs every cross-origin reconnect a preflight, which routes such
  // as Express's `app.get` refuse. Only a Tidings server is known to read the
  // parameter: true once a stream said it is Tidings (the last one to send
  // anything decides); before any stream, when the saved id is a Tidings id.
  let resumeByQuery = options.lastEventId !== undefined && !!parseEventId(options.lastEventId)
  // Assigned below: delivery and lifecycle call each other through these hooks.
  let lifecycle: Lifecycle
  const topics = options.topics ?? []
  // Topics that ended: left out of later requests; all of them ended closes the client.
  const ends = createEnds(topics)
  const delivery = createDelivery(
    contract,
    {
      emit: events.emit,
      report: (error) => events.emit('tidings:error', error),
      debug,
      hello: (ms) => lifecycle.heartbeat(ms),
      retry: (ms) => lifecycle.retry(ms),
      closed: () => lifecycle.status.state === 'closed',
      end: (info) => {
        const all = ends.record(info)
        events.emit('tidings:end', info)
        if (all) lifecycle.close('ended')
      },
    },
    options.lastEventId,
    options.maxLineLength,
  )

  const buildUrl = (id: string | undefined): string => {
    const query = new URLSearchParams(
      topics.filter((topic) => !ends.has(topic)).map((topic) => [TOPIC_PARAM, topic]),
    )
    // Once a Tidings stream opened, there is a position to resume from (its bookmark).
    if (options.replay && id === undefined) query.set(REPLAY_PARAM, `${options.replay}`)
    if (resumeByQuery && id !== undefined) query.set(LAST_EVENT_ID_PARAM, id)
    const base = String(url)
    const search = String(query)
    return search ? `${base}${base.includes('?') ? '&' : '?'}${search}` : base
  }

  lifecycle = createLifecycle(makeTransport(debug), options, {
    request: (headers) => {
      delivery.start()
      const id = delivery.sentId
      return { url: buildUrl(id), headers, lastEventId: resumeByQuery ? undefined : id }
    },
    data: delivery.feed,
    settled: (healthy) => {
      if (healthy) resumeByQuery = delivery.tidings
    },
    status: (status) => {
      events.emit('tidings:status', status)
      if (status.state === 'closed') ends.closed()
    },
    report: (error) => events.emit('tidings:error', error),
    rethrow,
  })

  return {
    ...listenerMethods(events),
    get status() {
      return lifecycle.status
    },
    get lastEventId() {
      return delivery.lastEventId
    },
    ended: (topic) => ends.wait(topic, lifecycle.status.state === 'closed'),
    close: () => lifecycle.close(),
  }
}
