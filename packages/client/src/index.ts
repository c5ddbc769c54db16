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
export { createClient } from './create-client.js'
export {
  type ClientError,
  type ClientErrorCode,
  ConnectionError,
  isResponseError,
  ResponseError,
} from './errors.js'
export type {
  ClientOptions,
  DebugInfo,
  FetchLike,
  FetchLikeInit,
  FetchLikeResponse,
  HttpErrorDecision,
  ReaderLike,
  SseClientOptions,
  WebSocketConstructorLike,
  WebSocketLike,
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
