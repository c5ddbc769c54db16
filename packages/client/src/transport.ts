/** The transports a client can read a stream over. */
export type TransportName = 'sse' | 'websocket'

/** One connection attempt, as the lifecycle asks a transport for it. */
export interface TransportRequest {
  /** The endpoint with the query (`topic`, `replay`, `lastEventId`) already appended. */
  readonly url: string
  /** The caller's headers for this attempt (the `headers` option, evaluated). */
  readonly headers: Record<string, string> | undefined
  /**
   * The id to resume from that the query does not carry yet (a stream that is not
   * Tidings): SSE sends it as `Last-Event-ID`, WebSocket as the `lastEventId` query
   * parameter, since it cannot set headers.
   */
  readonly lastEventId: string | undefined
  /** Aborted when the client closes or gives up on this connection. */
  readonly signal: AbortSignal
}

/**
 * Carries one stream of SSE bytes. Transports only move bytes: the delivery stage
 * owns the parser, ids, dedupe and validation, the lifecycle owns reconnects,
 * timers and status, so every transport gets the same semantics.
 */
export interface Transport {
  /**
   * Opens a connection, calls `onOpen` once the server accepted it, then `onData`
   * for every chunk until the stream ends. Resolves `true` when the stream ended
   * (reconnect), `false` when the server asked the client to stop (HTTP 204,
   * WebSocket close code 4204); rejects with a `ResponseError` or a
   * `ConnectionError` (also for anything `onData` throws), or, once `signal`
   * aborted, with whatever the abort caused.
   */
  connect(
    request: TransportRequest,
    onOpen: (transport: TransportName) => void,
    onData: (chunk: Uint8Array | string) => void,
  ): Promise<boolean>
}
