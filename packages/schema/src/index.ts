export { type Codec, jsonCodec } from './codec.js'
export { type DefineEventsOptions, defineEvents } from './define-events.js'
export { encodeComment, encodeEvent, encodeRetry, type SseMessage } from './encode.js'
export {
  ContractError,
  EncodeError,
  isTidingsError,
  isValidationError,
  ParseError,
  type SchemaErrorCode,
  TidingsError,
  ValidationError,
  type ValidationIssue,
} from './errors.js'
export { createEpoch, type EventId, formatEventId, parseEventId } from './event-id.js'
export { createParser, type ParsedEvent, type Parser, type ParserOptions } from './parse.js'
export type { StandardSchemaV1 } from './standard-schema.js'
export type {
  AnyContract,
  Contract,
  EventInput,
  EventMap,
  EventName,
  EventOutput,
} from './types.js'
export { hasEvent, type ValidationResult, validatePayload } from './validate.js'
export {
  AFTER_PARAM,
  END_EVENT,
  type EndInfo,
  type EndReason,
  EVENT_TOPICS_PARAM,
  GAP_EVENT,
  type GapInfo,
  type GapReason,
  HELLO_COMMENT_PREFIX,
  type HistoryEntry,
  type HistoryPage,
  LAST_EVENT_ID_PARAM,
  LIMIT_PARAM,
  REPLAY_PARAM,
  RESERVED_PREFIX,
  TOPIC_PARAM,
  TOPICS_COMMENT_PREFIX,
} from './wire.js'
