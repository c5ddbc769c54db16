import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  type AnyContract,
  ContractError,
  type EndReason,
  type EventInput,
  type EventName,
  hasEvent,
  ValidationError,
  validatePayload,
} from '@tidings/schema'
import { Core } from './core.js'
import { EmitError } from './errors.js'
import { handleFetch } from './fetch-handler.js'
import type { NodeResponse } from './node-connection.js'
import { handleNode, type NodeRequest } from './node-handler.js'
import type { CloseOptions, EmitterOptions, EmitterStats } from './options.js'
import type { EventStore } from './store.js'
import { isValidTopic } from './topics.js'
import { handleUpgrade } from './ws-handler.js'

/**
 * Emits typed events; what `emitter.to(topic)` returns. `TId` is what `emit`
 * returns: the id itself with the in-memory history, a promise of it with a
 * shared store (the store assigns ids).
 */
export interface Publisher<TContract extends AnyContract, TId = string> {
  /**
   * Validates, stores and sends an event; returns its id (with a `store`, a
   * promise of it, which rejects with a `StoreError` when the store cannot take
   * the event: nothing was sent then).
   * @throws {ValidationError} when the payload does not match the contract (nothing is stored or sent).
   * @throws {ContractError} when `name` is not an event of the contract.
   */
  emit<TName extends EventName<TContract>>(name: TName, payload: EventInput<TContract, TName>): TId
}

/**
 * What `end` returns: nothing with the in-memory history, a promise with a
 * shared store (it resolves once the store took every end event, and rejects
 * with a `StoreError` when it cannot; the topic may then be ended again).
 */
export type EndResult<TId> = TId extends PromiseLike<unknown> ? Promise<void> : undefined

/** What `emitter.to(topics)` returns: a {@link Publisher} for those topics that can end them. */
export interface TopicPublisher<TContract extends AnyContract, TId = string>
  extends Publisher<TContract, TId> {
  /**
   * Ends each of the topics for good: appends a terminal `tidings:end` event
   * (`{ topic, reason }`) to the topic's history and sends it live. Streams
   * whose topics have all ended get their end events and are closed; a late
   * client gets the retained history and the end, then is closed. Ending a
   * topic that already ended is a no-op; emitting to it throws an
   * `EmitError('topic_ended')`.
   *
   * @param reason `'complete'`, `'cancelled'`, `'failed'` or your own string (1 to 256 characters).
   * @defaultValue reason `'complete'`
   * @throws {EmitError} `invalid_reason` when `reason` is not such a string.
   * @example
   * emitter.to(`run:${runId}`).emit('token', { text })
   * emitter.to(`run:${runId}`).end()          // or .end('failed')
   */
  end(reason?: EndReason): EndResult<TId>
}

/**
 * What `createEmitter` returns. `TPrincipal` records what `authorize` returns
 * (the hooks' `info.principal`); `TId` is what `emit` returns (`string`, or
 * `Promise<string>` with a shared store).
 */
export interface Emitter<TContract extends AnyContract, TPrincipal = undefined, TId = string>
  extends Publisher<TContract, TId> {
  /** Kept so an emitter's type names its principal; never set. */
  readonly principal?: TPrincipal
  /**
   * A publisher for one topic or several: its events reach only the
   * connections subscribed to at least one of them (each once). Events emitted
   * on the emitter itself reach every connection.
   * @throws {EmitError} `invalid_topic` for a topic no client could subscribe to.
   */
  to(topics: string | readonly string[]): TopicPublisher<TContract, TId>
  /**
   * The Node handler, for `http`, `https`, the `http2` compatibility API and
   * frameworks built on them (Express, Fastify's raw request, Koa). Resolves
   * once the request is answered; never rejects or throws.
   *
   * @example
   * http.createServer((req, res) => emitter.handle(req, res)).listen(3000)
   */
  handle(req: NodeRequest, res: NodeResponse): Promise<void>
  /**
   * The WebSocket transport, for a Node server's `upgrade` event, on the same
   * path as the stream: the same topics, authorisation (`authorize` sees the
   * upgrade request), history, resume (`?lastEventId=`), heartbeats (with
   * ping/pong), slow-consumer bound, connection cap and stats as SSE. Upgrades
   * from a page whose `Origin` is neither the server's own nor allowed by
   * `cors` are refused (403). Needs the optional peer dependency `ws`.
   *
   * @throws {DependencyError} (as a rejection) when `ws` is not installed.
   * @example
   * server.on('upgrade', (req, socket, head) => {
   *   if (req.url?.startsWith('/events')) void emitter.upgrade(req, socket, head)
   *   else socket.destroy()
   * })
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Uint8Array): Promise<void>
  /**
   * The Fetch handler (Hono, Next.js route handlers, Bun, Deno). Never rejects.
   *
   * @example
   * export const GET = (request: Request) => emitter.fetch(request)
   */
  fetch(request: Request): Promise<Response>
  /** Counters for logs and metrics. */
  stats(): EmitterStats
  /**
   * Stops accepting (new requests get 503), sends every stream a jittered
   * `retry:` hint and ends it, spread over `drainMs`; resolves when all are
   * closed (and the store, if any, is closed).
   */
  close(options?: CloseOptions): Promise<void>
}

function checkTopics(topics: string | readonly string[]): readonly string[] {
  const list = typeof topics === 'string' ? [topics] : [...new Set(topics)]
  if (list.length === 0) {
    throw new EmitError(
      'invalid_topic',
      'to() needs at least one topic; use emit() to reach everyone.',
    )
  }
  for (const topic of list) {
    if (typeof topic !== 'string' || !isValidTopic(topic)) {
      throw new EmitError(
        'invalid_topic',
        `Topic ${JSON.stringify(topic)} is invalid: a topic is 1 to 128 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-".`,
      )
    }
  }
  return Object.freeze(list)
}

/** The longest reason an end may carry. */
const MAX_REASON = 256

function checkReason(reason: unknown): EndReason {
  if (reason === undefined) return 'complete'
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON) {
    throw new EmitError(
      'invalid_reason',
      `end(reason): reason must be 'complete', 'cancelled', 'failed' or a string of 1 to ${MAX_REASON} characters: got ${typeof reason === 'string' ? `${reason.length} characters` : typeof reason}.`,
    )
  }
  return reason
}

/**
 * Creates the server side of a contract: typed `emit`, topics, history and
 * resume, and the Node and Fetch handlers that stream to clients.
 *
 * @example
 * const emitter = createEmitter(events, { history: { maxEvents: 5000 } })
 * http.createServer((req, res) => emitter.handle(req, res)).listen(3000)
 * emitter.emit('server-time', { time: Date.now() })
 * emitter.to('room:lobby').emit('chat:message', { user: 'ada', text: 'hi' })
 *
 * @example
 * // Several processes sharing one history (see @tidings/redis):
 * const emitter = createEmitter(events, { store: createRedisStore({ redis }) })
 * const id = await emitter.emit('server-time', { time: Date.now() })
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
export function createEmitter<TContract extends AnyContract, TPrincipal = undefined>(
  contract: TContract,
  options: EmitterOptions<TPrincipal> & { store: EventStore },
): Emitter<TContract, TPrincipal, Promise<string>>
export function createEmitter<TContract extends AnyContract, TPrincipal = undefined>(
  contract: TContract,
  options?: EmitterOptions<TPrincipal> & { store?: undefined },
): Emitter<TContract, TPrincipal, string>
export function createEmitter<TContract extends AnyContract, TPrincipal = undefined>(
  contract: TContract,
  options?: EmitterOptions<TPrincipal>,
): Emitter<TContract, TPrincipal, string | Promise<string>>
export function createEmitter<TContract extends AnyContract, TPrincipal = undefined>(
  contract: TContract,
  options: EmitterOptions<TPrincipal> = {},
): Emitter<TContract, TPrincipal, string | Promise<string>> {
  const core = new Core(contract, options as EmitterOptions<unknown>)
  const { validate } = core.options
  const { codec } = contract
  const webSockets = {}

  const publish = (
    name: string,
    payload: unknown,
    topics: readonly string[] | undefined,
  ): string | Promise<string> => {
    if (topics !== undefined) {
      for (const topic of topics) {
        if (core.ended.closed(topic)) {
          throw new EmitError(
            'topic_ended',
            `Topic "${topic}" ended: nothing can be emitted to it after end(). Use a new topic for a new stream.`,
          )
        }
      }
    }
    if (validate) {
      const result = validatePayload(contract, name as EventName<TContract>, payload)
      if (!result.success) throw new ValidationError(name, result.issues)
    } else if (!hasEvent(contract, name)) {
      throw new ContractError(
        'invalid_contract',
        `Event ${JSON.stringify(name)} is not in the contract.`,
      )
    }
    return core.publish(name, codec.encode(payload), topics)
  }

  return {
    emit: (name, payload) => publish(name, payload, undefined),
    to(topics) {
      const list = checkTopics(topics)
      return {
        emit: (name, payload) => publish(name, payload, list),
        end: (reason) => core.end(list, checkReason(reason)) as EndResult<string | Promise<string>>,
      }
    },
    handle: (req, res) => handleNode(core, req, res),
    fetch: (request) => handleFetch(core, request),
    upgrade: (req, socket, head) => handleUpgrade(core, webSockets, req, socket, head),
    stats: () => core.stats(),
    close: (closeOptions) => core.close(closeOptions),
  }
}
