/**
 * What `tidings tail` reports, one record per line: the shape of each `--json`
 * line (plus `time`, an ISO date), and what the readable lines show.
 */
export type TailRecord =
  /** A request is about to go out (the first one or a reconnect). */
  | {
      readonly type: 'connecting'
      readonly url: string
      /**
       * The `Last-Event-ID` header the request carries: a resume of a stream that is
       * not Tidings (a Tidings stream resumes with `?lastEventId=`, seen in `url`).
       */
      readonly lastEventId?: string
    }
  /** The server answered with an event stream. */
  | {
      readonly type: 'open'
      readonly transport: string
      readonly status: number
      readonly contentType: string
    }
  /** The stream announced itself as Tidings, with its heartbeat interval. */
  | { readonly type: 'hello'; readonly heartbeatMs: number }
  /** One event. */
  | {
      readonly type: 'event'
      readonly event: string
      readonly id: string | undefined
      /** The `data` field, as received. */
      readonly data: string
      /** The decoded payload (JSON, or the contract's codec), when it decodes. */
      readonly payload?: unknown
      /** With a contract: whether the event is in it. */
      readonly known?: boolean
      /** With a contract: whether the payload matched the event's schema. */
      readonly valid?: boolean
      /** With a contract: what was wrong with it. */
      readonly issues?: readonly string[]
    }
  /** A heartbeat comment, and how long the stream was silent before it. */
  | {
      readonly type: 'heartbeat'
      readonly sinceLastByteMs: number
      readonly heartbeatMs: number | undefined
    }
  /** Any other comment line. */
  | { readonly type: 'comment'; readonly text: string }
  /** Nothing received for longer than the announced heartbeat allows. */
  | { readonly type: 'silent'; readonly sinceLastByteMs: number; readonly heartbeatMs: number }
  /** An event a replay repeated; the client skipped it. */
  | { readonly type: 'duplicate'; readonly event: string; readonly id: string }
  /** The client changed transport (SSE could not connect, or stayed silent: a buffering proxy). */
  | { readonly type: 'transport'; readonly transport: string; readonly reason: string }
  /** The server could not resume: events after `lastEventId` may have been missed. */
  | { readonly type: 'gap'; readonly reason: string; readonly lastEventId: string }
  /** The stream ended or failed; the next attempt starts in `delayMs`. */
  | {
      readonly type: 'reconnecting'
      readonly attempt: number
      readonly delayMs: number
      readonly reason?: string
    }
  /** A problem that does not end the stream (an oversized event, a bad contract). */
  | { readonly type: 'error'; readonly message: string }
  /** The end: interrupted, stopped by the server, or a fatal error. */
  | { readonly type: 'closed'; readonly reason: string; readonly error?: string }
