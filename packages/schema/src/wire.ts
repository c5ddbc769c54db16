/**
 * Names and shapes both ends of the wire must agree on. Kept in one module so the
 * server and the client can never drift. See docs/protocol.md.
 */

/**
 * Event names starting with this prefix belong to the SDK (control events on the
 * wire, lifecycle events on the client). `defineEvents` refuses them in a contract.
 */
export const RESERVED_PREFIX = 'tidings:'

/** The control event a server sends when it cannot resume from the client's id. */
export const GAP_EVENT = 'tidings:gap'

/** Query parameter naming a topic to subscribe to; repeat it for several. */
export const TOPIC_PARAM = 'topic'

/** Query parameter carrying the last processed id where headers cannot be set. */
export const LAST_EVENT_ID_PARAM = 'lastEventId'

/** Why a server could not resume a stream from the id a client sent. */
export type GapReason =
  /** The id does not parse as a Tidings id. */
  | 'malformed'
  /** The id comes from another history (the server restarted with an empty memory). */
  | 'other-epoch'
  /** The id is older than the oldest event the history still retains. */
  | 'expired'
  /** The id has the right epoch but is ahead of anything the history has written. */
  | 'unknown'
  /**
   * The history the server reads lost events while the stream was open: a shared
   * store was flushed, replaced or restored from an older copy, or trimmed past
   * the server's reader. Events between `lastEventId` and the gap may be missed.
   */
  | 'reset'

/**
 * The `data` of a {@link GAP_EVENT}: events after `lastEventId` may have been
 * missed; the stream continues live from the event that follows the gap event.
 */
export interface GapInfo {
  readonly reason: GapReason
  /** The id the client resumed from, as it sent it (truncated to 256 characters). */
  readonly lastEventId: string
}

/**
 * Query parameter asking, on a fresh connection (no last event id), for up to
 * this many of the most recent retained events of the client's topics before
 * going live. Bounded by the server's `maxReplay`.
 */
export const REPLAY_PARAM = 'replay'

/**
 * The comment a Tidings server writes first on every stream, announcing its
 * heartbeat interval so clients can derive an idle timeout:
 * `: tidings heartbeat=15000`.
 */
export const HELLO_COMMENT_PREFIX = 'tidings heartbeat='
