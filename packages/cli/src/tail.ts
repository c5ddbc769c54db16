import { type ClientStatus, createClient, type FetchLike } from '@tidings/client'
import {
  type AnyContract,
  createParser,
  HELLO_COMMENT_PREFIX,
  hasEvent,
  jsonCodec,
  type ValidationIssue,
  validatePayload,
} from '@tidings/schema'
import type { TailRecord } from './records.js'

/** Options of {@link tail}. */
export interface TailOptions {
  /** The stream's URL (`http:` or `https:`). */
  readonly url: string
  /** Topics to subscribe to (repeated `topic` query parameters). */
  readonly topics?: readonly string[] | undefined
  /** Validate each payload against this contract and mark the invalid ones. */
  readonly contract?: AnyContract | undefined
  /** Resume from this id on the first connection. */
  readonly lastEventId?: string | undefined
  /** On a fresh start, ask for this many recent events first. */
  readonly replay?: number | undefined
  /** Request headers, sent on every attempt. */
  readonly headers?: Record<string, string> | undefined
  /** Give up after this many failed attempts in a row. @defaultValue Infinity */
  readonly maxAttempts?: number | undefined
  /** Receives every record. */
  readonly print: (record: TailRecord) => void
  /** Aborting it ends the tail cleanly (Ctrl-C). */
  readonly signal: AbortSignal
}

/** How a tail ended: the exit status, and for a failure the one-line reason. */
export interface TailOutcome {
  readonly exitCode: 0 | 1
  readonly reason?: string
}

// A contract with no events: the client hands every event to `onDebug` as
// `unknown-event`, raw, whatever the server (Tidings or not) sends. Validation
// against the user's contract happens here instead, so an invalid payload is
// still shown, marked, rather than only reported as an error.
const ANY_EVENT: AnyContract = Object.freeze({
  events: Object.freeze({}),
  codec: jsonCodec,
  names: Object.freeze([]),
})

// Seen the way a person reads a stream from afar: a stream silent for more than
// one and a half heartbeats is worth a warning, well before the client gives up
// on it (twice the heartbeat plus 5 s).
const SILENCE_FACTOR = 1.5

/** An error and its causes on one line: `ConnectionError: ...: fetch failed: connect ECONNREFUSED ...`. */
export function describeError(error: unknown): string {
  const parts: string[] = []
  let current = error
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    parts.push(depth === 0 ? `${current.name}: ${current.message}` : current.message)
    current = current.cause
  }
  if (parts.length === 0) parts.push(String(error))
  return parts.join(': ').replace(/\s+/g, ' ')
}

const formatIssue = ({ message, path }: ValidationIssue): string => {
  const keys = path?.map((key) => String(typeof key === 'object' ? key.key : key))
  return keys?.length ? `${keys.join('.')}: ${message}` : message
}

/** Decodes and (with a contract) validates one event, for display. */
function inspect(
  contract: AnyContract | undefined,
  event: string,
  id: string | undefined,
  data: string,
): TailRecord {
  const base = { type: 'event', event, id, data } as const
  const codec = contract?.codec ?? jsonCodec
  let payload: unknown
  try {
    payload = codec.decode(data)
  } catch (cause) {
    if (!contract) return base
    if (!hasEvent(contract, event)) return { ...base, known: false }
    return {
      ...base,
      known: true,
      valid: false,
      issues: [`cannot decode: ${describeError(cause)}`],
    }
  }
  if (!contract) return { ...base, payload }
  if (!hasEvent(contract, event)) return { ...base, payload, known: false }
  try {
    const result = validatePayload(contract, event, payload)
    if (result.success) return { ...base, payload, known: true, valid: true }
    return { ...base, payload, known: true, valid: false, issues: result.issues.map(formatIssue) }
  } catch (error) {
    // An async validator: the contract cannot be used by the client either.
    return { ...base, payload, known: true, valid: false, issues: [describeError(error)] }
  }
}

/** What the current client calls the transport; `sse` while fetch is its only one. */
const transportOf = (status: ClientStatus): string =>
  'transport' in status && typeof status.transport === 'string' ? status.transport : 'sse'

/** Why a client closed without an error, in words. */
const closedReason = (status: ClientStatus): string => {
  const reason = 'reason' in status ? status.reason : undefined
  if (reason === 'ended') return 'every topic ended'
  return 'the server asked the client to stop (HTTP 204)'
}

/**
 * Follows a stream with the real client (resume, reconnects, gap detection) and
 * reports everything that happens as {@link TailRecord}s: each event with its
 * id and data, the requests, the heartbeats and how late they are, reconnects
 * and their reasons, gaps. Works against any SSE endpoint; with a contract it
 * also validates each payload.
 *
 * Resolves when the tail ends: `exitCode` 0 when `signal` aborted or the server
 * asked the client to stop, 1 with a one-line `reason` on a fatal error.
 *
 * @example
 * const outcome = await tail({ url, print: (record) => console.log(record), signal })
 */
export function tail(options: TailOptions): Promise<TailOutcome> {
  const { print, signal, contract } = options
  let heartbeatMs: number | undefined
  let lastByteAt: number | undefined
  let silenceReported = false
  let response: { status: number; contentType: string } | undefined
  let retryReason: string | undefined

  // A second reading of the bytes, for what the client does not surface: the
  // hello comment, heartbeats and other comments, and when each byte came.
  const comments = createParser({
    onEvent: () => {},
    onComment: (text) => {
      if (text.startsWith(HELLO_COMMENT_PREFIX)) {
        const ms = Number(text.slice(HELLO_COMMENT_PREFIX.length))
        if (ms > 0) {
          heartbeatMs = ms
          print({ type: 'hello', heartbeatMs: ms })
        }
      } else if (text.trim() === '') {
        print({ type: 'heartbeat', sinceLastByteMs: sinceLastByte, heartbeatMs })
      } else {
        print({ type: 'comment', text })
      }
    },
  })
  let sinceLastByte = 0
  const observe = (chunk: Uint8Array | string): void => {
    const now = Date.now()
    sinceLastByte = lastByteAt === undefined ? 0 : now - lastByteAt
    lastByteAt = now
    silenceReported = false
    try {
      comments.feed(chunk)
    } catch {
      // An oversized line: the client reports it (a ParseError) with the same limit.
    }
  }

  const observingFetch: FetchLike = async (url, init) => {
    heartbeatMs = undefined
    lastByteAt = undefined
    comments.reset()
    const lastEventId = init.headers['last-event-id']
    print({ type: 'connecting', url, ...(lastEventId !== undefined && { lastEventId }) })
    const answer = await fetch(url, init)
    response = { status: answer.status, contentType: answer.headers.get('content-type') ?? '' }
    const { body } = answer
    return {
      status: answer.status,
      headers: answer.headers,
      body: body && {
        getReader() {
          const reader = body.getReader()
          return {
            async read() {
              const result = await reader.read()
              if (!result.done) observe(result.value)
              return result
            },
            cancel: (reason) => reader.cancel(reason),
          }
        },
      },
    }
  }

  const watch = setInterval(() => {
    if (heartbeatMs === undefined || lastByteAt === undefined || silenceReported) return
    const since = Date.now() - lastByteAt
    if (since > heartbeatMs * SILENCE_FACTOR) {
      silenceReported = true
      print({ type: 'silent', sinceLastByteMs: since, heartbeatMs })
    }
  }, 250)

  return new Promise((resolve) => {
    const client = createClient(ANY_EVENT, options.url, {
      topics: options.topics,
      headers: options.headers,
      lastEventId: options.lastEventId,
      replay: options.replay,
      signal,
      fetch: observingFetch,
      ...(options.maxAttempts !== undefined && {
        reconnect: { maxAttempts: options.maxAttempts },
      }),
      onDebug: (info) => {
        if (info.type === 'duplicate') print(info)
        else if (info.type === 'transport') {
          print({ type: 'transport', transport: info.transport, reason: info.reason })
        } else if (info.type === 'unknown-event') {
          print(inspect(contract, info.event, info.id, info.data))
        }
      },
    })
    client.on('tidings:gap', (gap) => print({ type: 'gap', ...gap }))
    client.on('tidings:error', (error) => {
      if ('willRetry' in error) {
        // Told with the reconnect it causes, or as the reason the tail ends.
        if (error.willRetry) retryReason = describeError(error)
      } else {
        print({ type: 'error', message: describeError(error) })
      }
    })
    client.on('tidings:status', (status) => {
      if (status.state === 'open') {
        print({
          type: 'open',
          transport: transportOf(status),
          status: response?.status ?? 200,
          contentType: response?.contentType ?? '',
        })
      } else if (status.state === 'reconnecting') {
        print({
          type: 'reconnecting',
          attempt: status.attempt,
          delayMs: status.delayMs,
          reason: retryReason ?? 'the stream ended',
        })
        retryReason = undefined
        heartbeatMs = undefined
      } else if (status.state === 'closed') {
        clearInterval(watch)
        if (signal.aborted) {
          print({ type: 'closed', reason: 'interrupted' })
          resolve({ exitCode: 0 })
        } else if (status.error) {
          const reason = describeError(status.error)
          print({ type: 'closed', reason: 'fatal error', error: reason })
          resolve({ exitCode: 1, reason })
        } else {
          print({ type: 'closed', reason: closedReason(status) })
          resolve({ exitCode: 0 })
        }
      }
    })
  })
}
