/**
 * Cross-origin access to the stream, off unless configured. Only listed origins
 * get `Access-Control-Allow-Origin` (echoed, with `Vary: Origin`).
 *
 * @example
 * cors: { origin: ['https://app.example.com'], credentials: true }
 */
export interface CorsOptions {
  /** Allowed origins: a list (`'*'` in it allows any), or a predicate. */
  origin: readonly string[] | ((origin: string) => boolean)
  /**
   * Send `Access-Control-Allow-Credentials: true` (cookies, `withCredentials`).
   * @defaultValue false
   */
  credentials?: boolean | undefined
  /**
   * Request headers a preflight may allow, on top of `Last-Event-ID`.
   * @defaultValue ['Authorization', 'Content-Type']
   */
  allowHeaders?: readonly string[] | undefined
  /**
   * How long browsers may cache a preflight, in seconds.
   * @defaultValue 600
   */
  maxAgeSec?: number | undefined
}

/** Header names and values, as both handlers write them. */
export type HeaderList = Record<string, string>

/** CORS decisions for one emitter, computed once from its options. */
export class Cors {
  readonly #allow: (origin: string) => boolean
  readonly #credentials: boolean
  readonly #allowHeaders: string
  readonly #maxAge: string

  constructor(options: CorsOptions) {
    const { origin } = options
    if (typeof origin === 'function') this.#allow = origin
    else if (origin.includes('*')) this.#allow = () => true
    else {
      const set = new Set(origin)
      this.#allow = (value) => set.has(value)
    }
    this.#credentials = options.credentials ?? false
    this.#allowHeaders = [
      'Last-Event-ID',
      ...(options.allowHeaders ?? ['Authorization', 'Content-Type']),
    ].join(', ')
    this.#maxAge = String(options.maxAgeSec ?? 600)
  }

  /** Adds the headers for a response to a request from `origin`, if it is allowed. */
  apply(headers: HeaderList, origin: string | null | undefined): void {
    headers.Vary = 'Origin'
    if (!origin || !this.#allow(origin)) return
    headers['Access-Control-Allow-Origin'] = origin
    if (this.#credentials) headers['Access-Control-Allow-Credentials'] = 'true'
  }

  /** Adds the preflight headers, if `origin` is allowed. */
  preflight(headers: HeaderList, origin: string | null | undefined): void {
    this.apply(headers, origin)
    if (headers['Access-Control-Allow-Origin'] === undefined) return
    headers['Access-Control-Allow-Methods'] = 'GET, OPTIONS'
    headers['Access-Control-Allow-Headers'] = this.#allowHeaders
    headers['Access-Control-Max-Age'] = this.#maxAge
  }
}
