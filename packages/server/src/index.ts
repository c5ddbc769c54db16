export { ValidationError } from '@tidings/schema'
export type { DisconnectReason, TransportKind } from './connection.js'
export type { CorsOptions } from './cors.js'
export {
  createEmitter,
  type Emitter,
  type EndResult,
  type Publisher,
  type TopicPublisher,
} from './create-emitter.js'
export type { EndedTopicsOptions } from './ended-topics.js'
export {
  DependencyError,
  type DependencyErrorCode,
  EmitError,
  type EmitErrorCode,
  HttpError,
  type HttpErrorCode,
  isHttpError,
  OptionError,
  type OptionErrorCode,
  StoreError,
  type StoreErrorCode,
  StreamError,
  type StreamErrorCode,
} from './errors.js'
export type { MemoryHistoryOptions } from './memory-history.js'
export type { NodeResponse } from './node-connection.js'
export type { NodeRequest } from './node-handler.js'
export type {
  CloseOptions,
  ConnectionInfo,
  DisconnectInfo,
  EmitterOptions,
  EmitterStats,
  LatencyHistogram,
} from './options.js'
export type { EmitterRequest, HeadersLike } from './request.js'
export type {
  EventFeed,
  EventPosition,
  EventStore,
  NewEvent,
  StoredEvent,
  StoreReadResult,
} from './store.js'
