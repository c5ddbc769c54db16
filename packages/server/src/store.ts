/**
 * The interface a shared event store implements, so that several server
 * processes share one ordered history (`@tidings/redis` implements it on Redis
 * Streams). The emitter keeps a local window of recent events in memory, fed by
 * the store; it asks the store only for what the window no longer holds.
 *
 * Positions: every event has a `seq` within an `epoch`. Seqs are consecutive
 * integers (each event is the previous one's seq plus one) but may start
 * anywhere; a new epoch means a new history (the store was flushed, replaced or
 * rolled back), which clients are told about as a gap, never mistaken for a
 * place to resume from. The wire id of an event is `<epoch>-<seq>`.
 */
export interface EventStore {
  /**
   * Starts the store for one emitter and resolves with the position the feed
   * starts after. From then on the store calls `feed.events` with every event
   * appended by any process, in order, exactly once each (after a reconnection
   * of its own it resumes from its own cursor). Called once.
   */
  open(feed: EventFeed): Promise<EventPosition>
  /**
   * Appends an event and resolves with the position the store gave it. Must
   * not resolve before the event is durable in the store's order; rejects with
   * a `StoreError` (`unavailable`, `timeout`, `failed`) when it cannot. A store
   * that implements {@link EventStore.ends} refuses, in the same atomic step,
   * an event to a topic that ended (an end event included: only the first end
   * of a topic is stored), rejecting with `EmitError('topic_ended')`.
   */
  append(event: NewEvent): Promise<EventPosition>
  /**
   * Optional: the end events of `topics` that ended in `epoch`, as the store
   * remembers them (for `feed.endedMaxAgeMs`). A process learns the ends
   * appended while it runs from its feed; this tells it about those appended
   * before it opened, so a late client, an emit or a reconnect on it is
   * answered as on the process that ended the topic. Topics that did not end
   * are left out. Rejects with a `StoreError` when the store cannot be read.
   */
  ends?(epoch: string, topics: readonly string[]): Promise<readonly StoredEvent[]>
  /**
   * Reads up to `limit` retained events of `epoch` that follow `afterSeq`,
   * oldest first, for a resume that reaches further back than the local
   * window. Rejects with a `StoreError` when the store cannot be read.
   */
  read(epoch: string, afterSeq: number, limit: number): Promise<StoreReadResult>
  /** Stops the feed and releases what `open` acquired. Called by `emitter.close()`. */
  close(): Promise<void>
}

/** A place in a store's history: the event with this seq in this epoch. */
export interface EventPosition {
  readonly epoch: string
  readonly seq: number
}

/** What `emit` hands a store: the event, encoded by the contract's codec, and its topics. */
export interface NewEvent {
  /** The event name. */
  readonly event: string
  /** The codec-encoded payload text. */
  readonly data: string
  /** The topics it is sent to; `undefined` for a broadcast. */
  readonly topics: readonly string[] | undefined
  /** When it was emitted: milliseconds since the Unix epoch, with fractions. */
  readonly at: number
}

/** An event as a store returns it: a {@link NewEvent} with its seq. */
export interface StoredEvent extends NewEvent {
  readonly seq: number
}

/**
 * What a read returns: the events (consecutive seqs from `afterSeq + 1`; fewer
 * than `limit` means the read reached the head), or why the position cannot be
 * resumed from.
 */
export type StoreReadResult =
  | { readonly kind: 'events'; readonly events: readonly StoredEvent[] }
  | {
      readonly kind: 'gap'
      /** `other-epoch`: the store holds another history; `expired`: trimmed past it; `unknown`: ahead of the head. */
      readonly reason: 'other-epoch' | 'expired' | 'unknown'
    }

/** How a store hands the emitter what it reads. */
export interface EventFeed {
  /**
   * Events appended by any process, in order. A batch whose first seq is not
   * the one after the last event delivered, or whose epoch changed, tells the
   * emitter that history was lost: its live connections get a gap event.
   */
  events(epoch: string, events: readonly StoredEvent[]): void
  /** Something failed that no caller can catch (the reader lost the store, say): goes to `onError`. */
  error(error: unknown): void
  /**
   * How long the emitter remembers that a topic ended (`ended.maxAgeMs`): a
   * store that keeps end markers for {@link EventStore.ends} keeps them as long.
   * Always set by `createEmitter`; optional so that a feed built elsewhere (a
   * store's own tests) need not name it.
   */
  readonly endedMaxAgeMs?: number | undefined
}
