import { OptionError } from './errors.js'
import { checkNumber } from './options.js'

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

/**
 * The cross-origin decision for one request, taken once: the CORS predicate is
 * application code, so it is called at most once per request, and a throw is
 * caught where the request is read.
 */
export interface Access {
  readonly origin: string | undefined
  readonly allowed: boolean
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
    else if (!Array.isArray(origin) || origin.some((value) => typeof value !== 'string')) {
      throw new OptionError(
        'cors.origin',
        'createEmitter: cors.origin must be a list of origins (such as ["https://app.example.com"], "*" for any) or a function (origin) => boolean.',
      )
    } else if (origin.includes('*')) this.#allow = () => true
    else {
      const set = new Set(origin)
      this.#allow = (value) => set.has(value)
    }
    this.#credentials = options.credentials ?? false
    this.#allowHeaders = [
      'Last-Event-ID',
      ...(options.allowHeaders ?? ['Authorization', 'Content-Type']),
    ].join(', ')
    this.#maxAge = String(checkNumber('cors.maxAgeSec', options.maxAgeSec, 600))
  }

  /** Whether `origin` may read the stream. May throw: the predicate is application code. */
  allows(origin: string): boolean {
    return this.#allow(origin) === true
  }

  /** Adds the headers for a response to a request whose origin was checked once with `allows`. */
  apply(headers: HeaderList, access: Access): void {
    headers.Vary = 'Origin'
    if (!access.allowed || access.origin === undefined) return
    headers['Access-Control-Allow-Origin'] = access.origin
    if (this.#credentials) headers['Access-Control-Allow-Credentials'] = 'true'
  }

  /** Adds the preflight headers, if the origin is allowed. */
  preflight(headers: HeaderList, access: Access): void {
    this.apply(headers, access)
    if (headers['Access-Control-Allow-Origin'] === undefined) return
    headers['Access-Control-Allow-Methods'] = 'GET, OPTIONS'
    headers['Access-Control-Allow-Headers'] = this.#allowHeaders
    headers['Access-Control-Max-Age'] = this.#maxAge
  }
}
