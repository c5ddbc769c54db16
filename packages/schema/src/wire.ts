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

/**
 * Query parameter (`eventTopics=1`) asking the server to say, on this connection,
 * which topics each event was sent to: a {@link TOPICS_COMMENT_PREFIX} comment
 * line opens the block of every event emitted with `to(...)`; a broadcast gets
 * none. A client that reads one stream for several subscribers (tabs sharing a
 * connection) filters with it. Comments are ignored by any standard `EventSource`.
 */
export const EVENT_TOPICS_PARAM = 'eventTopics'

/**
 * The comment naming an event's topics on a connection that asked for them
 * ({@link EVENT_TOPICS_PARAM}), comma-separated: `: topics room:1,room:2`.
 */
export const TOPICS_COMMENT_PREFIX = 'topics '

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

/**
 * The control event that closes a topic for good: the last event of that
 * topic's history, with an id like any other so a resume delivers it exactly
 * once. Its `data` is an {@link EndInfo}.
 */
export const END_EVENT = 'tidings:end'

/**
 * Why a topic ended. The three named reasons are the ones the SDK gives meaning
 * to; an app may pass its own string.
 */
export type EndReason = 'complete' | 'cancelled' | 'failed' | (string & {})

/** The `data` of an {@link END_EVENT}. */
export interface EndInfo {
  readonly topic: string
  readonly reason: EndReason
}

/**
 * Query parameter of a history read (`Accept: application/json`): return the
 * events after this id. Without it the page starts at the oldest retained event.
 */
export const AFTER_PARAM = 'after'

/** Query parameter of a history read: the most events one page may hold. */
export const LIMIT_PARAM = 'limit'

/** One event of a {@link HistoryPage}, as it was encoded on the stream. */
export interface HistoryEntry {
  readonly id: string
  readonly event: string
  readonly data: unknown
}

/**
 * The JSON body a server answers a history read with. Pages are finite and
 * read-only; a page that is full (`last` false) never changes, so it can be
 * cached. End events appear in `events` like any other (`event` is
 * {@link END_EVENT}).
 */
export interface HistoryPage {
  /** Events of the requested topics after the requested id, oldest first. */
  readonly events: readonly HistoryEntry[]
  /**
   * The id to pass as `after` for the next page: the position this page read
   * to (a full page's last event; on the last page, the head the read reached;
   * after a gap, a valid id of the current history, never the bad one).
   */
  readonly next: string
  /** True when this page reaches the newest event the server has. */
  readonly last: boolean
  /** True when every requested topic has ended and nothing of theirs follows this page. */
  readonly ended: boolean
  /** Set when the history no longer reaches back to `after`, as on the stream. */
  readonly gap: GapInfo | null
}
