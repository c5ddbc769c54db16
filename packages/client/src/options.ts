import type { ResponseError } from './errors.js'
import type { ReconnectOptions } from './reconnect.js'
import type { TabSharing } from './sharing.js'
import type { TransportName } from './transport.js'

/**
 * The subset of a `fetch` response reader the client uses.
 * A standard `ReadableStreamDefaultReader<Uint8Array>` fits.
 */
export interface ReaderLike {
  read(): Promise<{ done: false; value: Uint8Array | string } | { done: true; value?: unknown }>
  cancel(reason?: unknown): Promise<void>
}

/** The subset of `RequestInit` the client passes to {@link FetchLike}. */
export interface FetchLikeInit {
  method: 'GET'
  headers: Record<string, string>
  signal: AbortSignal
  cache: 'no-store'
  credentials?: 'omit' | 'same-origin' | 'include'
}

/** The subset of a `Response` the client reads. */
export interface FetchLikeResponse {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  readonly body: { getReader(): ReaderLike } | null
}

/**
 * A minimal structural `fetch`: the global `fetch` of browsers, Node >= 20, Deno,
 * Bun and workers fits, and so does any wrapper (proxies, custom agents, mocks).
 *
 * @example
 * import { fetch as undiciFetch, ProxyAgent } from 'undici'
 * const dispatcher = new ProxyAgent('http://proxy:8080')
 * createClient(events, url, { fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) })
 */
export type FetchLike = (url: string, init: FetchLikeInit) => Promise<FetchLikeResponse>

/** What `onHttpError` may answer: retry (with backoff), stop, or the default policy. */
export type HttpErrorDecision = 'retry' | 'stop' | undefined

/** Something the client skipped, reported to {@link ClientOptions.onDebug}. */
export type DebugInfo =
  /** An event whose name is not in the contract (ignored). */
  | {
      readonly type: 'unknown-event'
      readonly event: string
      readonly id: string | undefined
      readonly data: string
    }
  /** An event a replay repeated (dropped: its id is not after the last one processed). */
  | { readonly type: 'duplicate'; readonly event: string; readonly id: string }
  /**
   * With `transport: 'auto'`: the client settled on `transport` for the rest of its
   * life. `sse-failed`: SSE could not connect (a network failure, not a refusal);
   * `sse-silent`: SSE sent no byte in time (a buffering proxy); `websocket-failed`:
   * after a silent SSE, WebSocket could not connect either, so SSE is kept.
   */
  | {
      readonly type: 'transport'
      readonly transport: TransportName
      readonly reason: 'sse-failed' | 'sse-silent' | 'websocket-failed'
    }
  /**
   * With the `share` option: this tab took the lead, for `term` (counted across
   * the tabs): it now holds the shared connection and relays it to the others.
   */
  | { readonly type: 'leader'; readonly term: number }

/**
 * Options of `createClient` from `@tidings/client/sse` (the client without the
 * WebSocket transport). All optional.
 *
 * @example
 * createClient(events, 'https://api.example.com/events', {
 *   topics: ['room:lobby'],
 *   headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
 *   onHttpError: (error) => (error.status === 401 ? 'retry' : undefined),
 * })
 */
export interface SseClientOptions {
  /** Topics to subscribe to (sent as repeated `topic` query parameters). */
  topics?: readonly string[] | undefined
  /**
   * Request headers, or a function returning them, called before every connect
   * (so a refreshed token is picked up on reconnect).
   * @example { headers: async () => ({ authorization: `Bearer ${await getToken()}` }) }
   */
  headers?:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>)
    | undefined
  /**
   * The request's credentials mode (cookies on cross-origin requests need `include`).
   * @defaultValue the `fetch` default (`same-origin`)
   */
  credentials?: 'omit' | 'same-origin' | 'include' | undefined
  /**
   * The `fetch` to use.
   * @defaultValue `globalThis.fetch`
   */
  fetch?: FetchLike | undefined
  /** Aborting it closes the client, as `close()` does. */
  signal?: AbortSignal | undefined
  /** How to space reconnection attempts; see {@link ReconnectOptions}. */
  reconnect?: ReconnectOptions | undefined
  /**
   * A connection that receives nothing (not even a heartbeat) for this long is
   * treated as dead and reconnected. `0` disables the idle timeout.
   *
   * @defaultValue derived from the heartbeat a Tidings server announces in its
   * first comment (`: tidings heartbeat=<ms>`): twice the interval plus 5 seconds.
   * A server that announces none (any non-Tidings server) gets **no idle timeout**
   * unless you set one here.
   */
  idleTimeoutMs?: number | undefined
  /**
   * How long one connection attempt may take until the server's response headers
   * arrive (the `headers` function included). Past it the attempt fails with a
   * `ConnectionError` (code `connect_timeout`) and the client reconnects with
   * backoff: a server that accepts the connection and never answers cannot leave
   * the client `connecting` for ever. `0` disables it. At most 2^31 - 1 ms.
   * @defaultValue 20000
   */
  connectTimeoutMs?: number | undefined
  /**
   * The id to resume from on the first connect, for example the `client.lastEventId`
   * saved before a page reload.
   *
   * How the client sends a resume position: to a stream that said it is Tidings
   * (its first comment, `: tidings heartbeat=`), as the `lastEventId` query
   * parameter, so a cross-origin reconnect stays a simple request (no CORS
   * preflight, which a plain `app.get` route would refuse); to any other stream, as
   * the standard `Last-Event-ID` header, as UTF-8 bytes. Before the first stream,
   * this id goes in the query when it has the shape of a Tidings id
   * (`<epoch>-<seq>`), else in the header.
   */
  lastEventId?: string | undefined
  /**
   * On a fresh start (no `lastEventId`), ask the server for up to this many of
   * the most recent retained events before live ones (`?replay=N`). Sent until a
   * connection opens; reconnects resume from the last event id instead.
   */
  replay?: number | undefined
  /**
   * The longest line (and largest event `data`) accepted, in UTF-16 code units.
   * Past it the client reports a `ParseError`, skips that event (the parser
   * bounds memory by dropping it) and goes on with the rest of the stream:
   * reconnecting would only fetch the same event again.
   * @defaultValue 1048576 (1 MiB)
   */
  maxLineLength?: number | undefined
  /**
   * Decides what to do with a {@link ResponseError} (error status or wrong content type)
   * before it is reported. Return `'retry'` to reconnect with backoff (the `headers`
   * function runs again and the resume position is kept), `'stop'` to close, or
   * nothing for the default: retry 5xx and 429, close on everything else.
   *
   * @example
   * onHttpError: async (error) => {
   *   if (error.status === 401) { await refreshToken(); return 'retry' }
   * }
   */
  onHttpError?:
    | ((
        error: ResponseError,
        context: { readonly attempt: number },
      ) => HttpErrorDecision | undefined | Promise<HttpErrorDecision | undefined>)
    | undefined
  /**
   * Sees what the client skips (events not in the contract, duplicates a replay
   * repeated) and which transport `'auto'` settled on.
   */
  onDebug?: ((info: DebugInfo) => void) | undefined
  /**
   * One connection per browser rather than per tab: `shareTabs()` from
   * `@tidings/client/share` (a separate entry, so apps that do not share never
   * load it). Every tab of this origin with the same URL (or the same
   * `shareTabs({ name })`) then reads one stream, held by a leader tab and
   * relayed to the others, each receiving its own topics' events through the
   * usual API. Without Web Locks or `BroadcastChannel`, each tab connects on its own.
   * @example { share: shareTabs() }
   */
  share?: TabSharing | undefined
}

/**
 * The minimal `WebSocket` the client uses: the platform's (browsers, Deno, Bun,
 * Node >= 22) fits, and so does the `ws` package's class (Node 20).
 */
export interface WebSocketLike {
  binaryType: string
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void
  addEventListener(type: 'error', listener: () => void): void
  close(): void
}

/**
 * A `WebSocket` constructor. A third argument `{ headers }` carries the `headers`
 * option where the constructor takes it (the `ws` package); browsers cannot send
 * headers on a WebSocket (they send cookies).
 */
export type WebSocketConstructorLike = new (
  url: string,
  protocols: string[],
  options?: { headers: Record<string, string> },
) => WebSocketLike

/**
 * Options of `createClient`. All optional.
 *
 * @example
 * createClient(events, 'https://api.example.com/events', {
 *   topics: ['room:lobby'],
 *   headers: async () => ({ authorization: `Bearer ${await getToken()}` }),
 *   onHttpError: (error) => (error.status === 401 ? 'retry' : undefined),
 * })
 */
export interface ClientOptions extends SseClientOptions {
  /**
   * How to read the stream: `'sse'` (a `fetch` stream), `'websocket'` (the same
   * bytes over a WebSocket, on `ws:`/`wss:` at the same path and query), or
   * `'auto'`: SSE first, falling back to WebSocket for the client's life when SSE
   * cannot connect (a network failure, not a refusal such as 401 or 403) or sends
   * no byte within 3 seconds of the request (a proxy that buffers the stream). A
   * client that settled on SSE (bytes arrived) keeps it, and so does one whose
   * WebSocket failed after a silent SSE; one that fell back never tries SSE again.
   * Without a `WebSocket` (Node 20 without the option), `'auto'` is SSE.
   * `client.status.transport` (when open) says which is in use.
   * @defaultValue `'auto'`
   */
  transport?: 'auto' | 'sse' | 'websocket' | undefined
  /**
   * The `WebSocket` class to use, for runtimes without a global one (Node 20):
   * `import { WebSocket } from 'ws'`.
   * @defaultValue `globalThis.WebSocket`
   */
  WebSocket?: WebSocketConstructorLike | undefined
}
