/**
 * `@tidings/client/sse`: the client with the SSE transport only, for apps that
 * never need the WebSocket fallback: its code stays out of their bundle.
 * Everything else is the same as `@tidings/client`.
 */
import type { AnyContract } from '@tidings/schema'
import { assembleClient, type Client } from './client.js'
import { createFetchTransport } from './fetch-transport.js'
import type { SseClientOptions } from './options.js'

export {
  ContractError,
  createParser,
  type EndInfo,
  type EndReason,
  type GapInfo,
  type ParsedEvent,
  ParseError,
  type Parser,
  type ParserOptions,
  TidingsError,
  ValidationError,
} from '@tidings/schema'
export type { Client, ClientEventName, ClientHandler, EventMeta } from './client.js'
export {
  type ClientError,
  type ClientErrorCode,
  ConnectionError,
  isResponseError,
  ResponseError,
} from './errors.js'
export type {
  DebugInfo,
  FetchLike,
  FetchLikeInit,
  FetchLikeResponse,
  HttpErrorDecision,
  ReaderLike,
  SseClientOptions,
} from './options.js'
export {
  type HistoryEvent,
  type HistoryFetchInit,
  type HistoryFetchLike,
  historyPages,
  type ReadHistoryOptions,
  readHistory,
  type TypedHistoryPage,
} from './read-history.js'
export type { ReconnectOptions } from './reconnect.js'
export type { ShareTabsOptions, TabSharing } from './sharing.js'
export type { ClientState, ClientStatus, CloseReason, LifecycleEvents } from './status.js'
export type { TransportName } from './transport.js'

/**
 * Connects to an event stream over SSE (`fetch`) and hands typed, validated events
 * to handlers, through reconnects, without losing or repeating one. The same
 * client as `@tidings/client`'s `createClient` with `transport: 'sse'`, without
 * the WebSocket code.
 *
 * @example
 * import { createClient } from '@tidings/client/sse'
 * const client = createClient(events, '/events', { topics: ['room:lobby'] })
 * client.on('chat:message', ({ user, text }) => show(user, text))
 */
export function createClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: SseClientOptions = {},
): Client<TContract> {
  const sse = createFetchTransport(
    options.fetch ?? ((input, init) => fetch(input, init)),
    options.credentials,
  )
  return assembleClient(contract, url, options, () => sse)
}
