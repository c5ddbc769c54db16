import type { ClientStatus } from './status.js'

/**
 * A connection error as the leader relays it: `BroadcastChannel` clones an
 * `Error` without its class or its fields, so the fields travel and each tab
 * rebuilds the error.
 */
export interface RelayedError {
  readonly name: string
  readonly code: string
  readonly message: string
  readonly status?: number | undefined
  readonly retryAfterMs?: number | undefined
  readonly willRetry: boolean
}

/**
 * What the tabs sharing one connection tell each other over their
 * `BroadcastChannel`. `from` is the sender's tab id. Messages of the leader carry
 * its `term` (one more than the last term its tab had seen when it took the
 * lock): a tab ignores a leader message from an older term, so a leader that
 * was replaced cannot speak over the new one.
 */
export type ShareMessage =
  /**
   * A tab arrives (or comes back from a freeze) with its topics and position:
   * the leader reads again from a position behind its own.
   */
  | {
      readonly t: 'join'
      readonly from: string
      readonly topics: readonly string[]
      readonly position: string | undefined
    }
  /**
   * A tab answers a `join` or a `lead`: its topics, and the last shared-stream id
   * it processed (the new leader resumes from the earliest of these).
   */
  | {
      readonly t: 'here'
      readonly from: string
      readonly topics: readonly string[]
      readonly position: string | undefined
    }
  /** A tab leaves (`close()`, the page goes away or freezes): drop its topics. */
  | { readonly t: 'bye'; readonly from: string }
  /** A tab took the lock: from now on it holds the stream, for `term`. */
  | { readonly t: 'lead'; readonly from: string; readonly term: number }
  /**
   * An event of the shared stream, or a bookmark (`event` empty: the stream's
   * position moved without an event). `topics` is absent for a broadcast. With
   * `before`, a gap only for the tabs whose position is before that id (the
   * stream went back for them; the others missed nothing).
   */
  | {
      readonly t: 'event'
      readonly from: string
      readonly term: number
      readonly id: string | undefined
      readonly event: string
      readonly data: string
      readonly topics: readonly string[] | undefined
      readonly before?: string | undefined
    }
  /**
   * The leader's stream is alive (a chunk without events: a heartbeat), and how
   * often the server promised to write (`0`: unknown). A tab that hears nothing
   * from an open stream's leader for much longer takes the lead from it.
   */
  | {
      readonly t: 'beat'
      readonly from: string
      readonly term: number
      readonly heartbeatMs: number
    }
  /** The shared connection's status changed. */
  | {
      readonly t: 'status'
      readonly from: string
      readonly term: number
      readonly status: ClientStatus
    }
  /** The shared connection reported an error. */
  | {
      readonly t: 'error'
      readonly from: string
      readonly term: number
      readonly error: RelayedError
    }
