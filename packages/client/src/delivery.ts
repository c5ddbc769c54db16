import {
  type AnyContract,
  createParser,
  END_EVENT,
  type EndInfo,
  type EventId,
  GAP_EVENT,
  type GapInfo,
  HELLO_COMMENT_PREFIX,
  hasEvent,
  type ParsedEvent,
  parseEventId,
  ValidationError,
  validatePayload,
} from '@tidings/schema'
import type { DebugInfo } from './options.js'

/** Where delivery hands what it reads: events to listeners, and hints to the lifecycle. */
export interface DeliveryHooks {
  /** A validated contract event (`name, payload, meta`), or a gap (`'tidings:gap', info`). */
  emit(name: string, ...args: unknown[]): void
  /** A topic ended (a valid `tidings:end` on a Tidings stream, not a repeat). */
  end(info: EndInfo): void
  /** A `ParseError`, `ValidationError` or `ContractError`; the stream goes on. */
  report(error: unknown): void
  debug(info: DebugInfo): void
  /** The server announced its heartbeat interval (the Tidings hello comment). */
  hello(heartbeatMs: number): void
  /** The server sent `retry:`. */
  retry(ms: number): void
  /** True once the client closed: nothing more is emitted, even from a chunk being read. */
  closed(): boolean
}

/** The delivery stage: one parser, and what the client makes of each event. */
export interface Delivery {
  /**
   * A new connection starts: the parser forgets any unfinished event and keeps the
   * resume position as its last event id, as `EventSource` does across reconnections.
   */
  start(): void
  /** Parses a chunk and delivers the events complete in it. */
  feed(chunk: Uint8Array | string): void
  /**
   * Delivers one event already parsed from a Tidings stream (another tab's
   * connection, relayed): the same dedupe, gap and validation as {@link Delivery.feed}.
   */
  accept(event: ParsedEvent): void
  /** The id of the last event processed, or the position a server bookmarked. */
  readonly lastEventId: string | undefined
  /** The id the current connection resumed from. */
  readonly sentId: string | undefined
  /** Whether the current stream said it is Tidings (its first comment is the hello). */
  readonly tidings: boolean
}

/**
 * Turns stream bytes into typed events: parses (spec-exact), follows the resume
 * position, and on a stream that said it is Tidings drops the events a replay
 * repeats and reports a history change as a gap; then decodes and validates each
 * payload against the contract and emits it. Any other stream is delivered as the
 * standard says, whatever its ids look like.
 * See https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage
 */
export const createDelivery = (
  contract: AnyContract,
  hooks: DeliveryHooks,
  initialId: string | undefined,
  maxLineLength: number | undefined,
): Delivery => {
  const { emit, report, debug } = hooks
  let lastEventId = initialId
  // Per connection: the id sent, the dedupe baseline, whether the stream said it is
  // Tidings, and the parser's id as last seen here.
  let sentId: string | undefined
  let baseline: EventId | undefined
  let tidings = false
  let parserId: string | undefined

  const onEvent = ({ event, data, id }: ParsedEvent): void => {
    if (hooks.closed()) return
    parserId = id
    // Ids, gaps and duplicates mean something only on a stream that said it is
    // Tidings: `order-7` then `order-5` from another server are two events, not a repeat.
    if (tidings && event === GAP_EVENT) {
      let info: GapInfo | undefined
      try {
        info = JSON.parse(data)
      } catch {}
      lastEventId = id
      baseline = id === undefined ? undefined : parseEventId(id)
      emit(
        GAP_EVENT,
        typeof info?.reason === 'string' ? info : { reason: 'unknown', lastEventId: sentId ?? '' },
      )
      return
    }
    const parsed = tidings && id !== undefined ? parseEventId(id) : undefined
    if (parsed) {
      if (baseline?.epoch === parsed.epoch && parsed.seq <= baseline.seq) {
        // The resume position stays where it was: a replay never moves it back.
        debug({ type: 'duplicate', event, id: id as string })
        return
      }
      // A new history without the server saying so: never let that pass silently.
      if (baseline && baseline.epoch !== parsed.epoch) {
        emit(GAP_EVENT, { reason: 'other-epoch', lastEventId: `${baseline.epoch}-${baseline.seq}` })
      }
      baseline = parsed
    }
    lastEventId = id
    // After the dedupe above: an end a replay repeats is dropped like any event.
    if (tidings && event === END_EVENT) {
      let info: Partial<EndInfo> | undefined
      try {
        info = JSON.parse(data)
      } catch {}
      if (typeof info?.topic === 'string' && typeof info.reason === 'string') {
        hooks.end({ topic: info.topic, reason: info.reason })
      } else {
        report(new ValidationError(event, [{ message: 'expected { topic, reason } strings' }], id))
      }
      return
    }
    if (!hasEvent(contract, event)) {
      debug({ type: 'unknown-event', event, id, data })
      return
    }
    let payload: unknown
    try {
      payload = contract.codec.decode(data)
    } catch (cause) {
      report(new ValidationError(event, [{ message: `cannot decode data: ${cause}` }], id))
      return
    }
    try {
      const result = validatePayload(contract, event, payload)
      if (result.success) emit(event, result.value, { id, event })
      else report(new ValidationError(event, result.issues, id))
    } catch (error) {
      report(error)
    }
  }

  const parser = createParser({
    onEvent,
    onRetry: hooks.retry,
    onComment: (text) => {
      if (text.startsWith(HELLO_COMMENT_PREFIX)) {
        tidings = true
        const ms = Number(text.slice(HELLO_COMMENT_PREFIX.length))
        if (ms > 0) hooks.hello(ms)
      }
    },
    maxLineLength,
  })

  return {
    start() {
      sentId = parserId = lastEventId
      baseline = sentId === undefined ? undefined : parseEventId(sentId)
      tidings = false
      parser.reset({ lastEventId: sentId })
    },
    feed(chunk) {
      // After a size-limit error the parser keeps the rest of the chunk: go on with it.
      for (let rest = chunk; ; rest = '') {
        try {
          parser.feed(rest)
          break
        } catch (error) {
          report(error)
        }
      }
      // A block with an id but no data (a Tidings bookmark) dispatches nothing, yet
      // moves the resume position: a connection that got only a bookmark resumes from it.
      const id = parser.lastEventId || undefined
      if (id !== parserId) lastEventId = parserId = id
    },
    accept(event) {
      tidings = true
      onEvent(event)
    },
    get lastEventId() {
      return lastEventId
    },
    get sentId() {
      return sentId
    },
    get tidings() {
      return tidings
    },
  }
}
