export type { DisconnectReason } from './connection.js'
export type { CorsOptions } from './cors.js'
export { createEmitter, type Emitter, type Publisher } from './create-emitter.js'
export {
  EmitError,
  type EmitErrorCode,
  HttpError,
  type HttpErrorCode,
  isHttpError,
  StreamError,
  type StreamErrorCode,
} from './errors.js'
export type { HistoryEntry, HistoryStore, NewEntry } from './history.js'
export { createMemoryHistory, type MemoryHistoryOptions } from './memory-history.js'
export type { NodeResponse } from './node-connection.js'
export type { NodeRequest } from './node-handler.js'
export type {
  CloseOptions,
  ConnectionInfo,
  DisconnectInfo,
  EmitterOptions,
  EmitterStats,
} from './options.js'
export type { EmitterRequest, HeadersLike } from './request.js'
