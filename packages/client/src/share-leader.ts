import {
  createParser,
  EVENT_TOPICS_PARAM,
  GAP_EVENT,
  HELLO_COMMENT_PREFIX,
  LAST_EVENT_ID_PARAM,
  parseEventId,
  REPLAY_PARAM,
  TOPIC_PARAM,
  TOPICS_COMMENT_PREFIX,
} from '@tidings/schema'
import { rethrow } from './client.js'
import type { ClientError } from './errors.js'
import { createLifecycle, type Lifecycle } from './lifecycle.js'
import type { SseClientOptions } from './options.js'
import type { ClientStatus } from './status.js'
import type { Transport } from './transport.js'

/** Where the leader hands what it reads, for every tab. */
export interface ShareLeaderHooks {
  /**
   * An event of the shared stream with the topics the server named (`undefined`:
   * a broadcast), or a bookmark (`event` empty: the position moved, nothing to deliver).
   */
  event(
    id: string | undefined,
    event: string,
    data: string,
    topics: readonly string[] | undefined,
    before?: string,
  ): void
  status(status: ClientStatus): void
  report(error: ClientError): void
  /** A chunk arrived that held no event: the stream is alive; `heartbeatMs` as announced (or 0). */
  beat(heartbeatMs: number): void
}

/** The one connection a leader tab holds for all the tabs; see {@link createShareLeader}. */
export interface ShareLeader {
  /** Subscribes to this union of the tabs' topics from now on: reconnects when it changed. */
  topics(union: Iterable<string>): void
  /**
   * A tab is behind the stream (it thawed, or started from a saved id): read
   * again from `id` if it is earlier than the stream's position (same history).
   */
  rewind(id: string): void
  /** Ends the connection (the tab stops leading); reports nothing more. */
  close(): void
}

/**
 * The shared connection: the usual lifecycle (reconnects, timers, status) and
 * transport, on the union of the tabs' topics with `eventTopics=1`, so the server
 * names each event's topics and every tab can keep only its own. It starts from
 * `from`, the earliest position all tabs reached, and always resumes from the
 * last id it read: across a reconnect, and across a change of the union (a new
 * connection replaces the old at once), so no tab loses an event, and a replayed
 * one is dropped by each tab's delivery stage. Events of a topic that joined the
 * union are owed from that change on, as they would be to a new connection.
 */
export const createShareLeader = (
  transport: Transport,
  url: string | URL,
  options: SseClientOptions,
  from: string | undefined,
  union: Iterable<string>,
  hooks: ShareLeaderHooks,
  ahead?: string,
): ShareLeader => {
  const key = (topics: Iterable<string>): string => [...new Set(topics)].sort().join('\n')
  let topicsKey = key(union)
  let position = from
  // The parser's id as last seen here, to notice a bookmark (an id with no event).
  let seen = from
  // The topics named by the comment of the block being read.
  let tagged: string[] | undefined
  let lifecycle: Lifecycle | undefined
  // Each connection's lifecycle has a number: a replaced one is silenced at once.
  let generation = 0
  let closed = false
  let heartbeat = 0
  // Whether the chunk being read gave the tabs anything (else it is a beat).
  let relayed = false
  // After going back for a tab that is behind: where the other tabs are. When the
  // history no longer reaches back, the gap is only for the tabs behind that
  // point, and the stream goes on from it, so that the others lose nothing.
  let back = ahead !== undefined && isBefore(from, ahead) ? ahead : undefined

  const parser = createParser({
    onEvent: ({ id, event, data }) => {
      if (reading !== generation) return
      const topics = tagged
      tagged = undefined
      const before = back
      back = undefined
      if (before !== undefined && event === GAP_EVENT) {
        hooks.event(id, event, data, undefined, before)
        seen = position = before
        restart()
        return
      }
      seen = position = id
      relayed = true
      hooks.event(id, event, data, topics)
    },
    onRetry: (ms) => lifecycle?.retry(ms),
    onComment: (text) => {
      if (text.startsWith(TOPICS_COMMENT_PREFIX)) {
        tagged = text.slice(TOPICS_COMMENT_PREFIX.length).split(',')
      } else if (text.startsWith(HELLO_COMMENT_PREFIX)) {
        const ms = Number(text.slice(HELLO_COMMENT_PREFIX.length))
        if (ms > 0) {
          heartbeat = ms
          lifecycle?.heartbeat(ms)
        }
      }
    },
    maxLineLength: options.maxLineLength,
  })

  // The connection whose bytes the parser reads: a restart in the middle of a chunk
  // silences the rest of it.
  let reading = 0
  const feed = (chunk: Uint8Array | string): void => {
    reading = generation
    relayed = false
    // After a size-limit error the parser keeps the rest of the chunk: go on with it.
    for (let rest = chunk; ; rest = '') {
      try {
        parser.feed(rest)
        break
      } catch (error) {
        hooks.report(error as ClientError)
      }
    }
    const id = parser.lastEventId || undefined
    if (reading !== generation) return
    if (id !== seen) {
      seen = position = id
      hooks.event(id, '', '', undefined)
    } else if (!relayed) hooks.beat(heartbeat)
  }

  const request = (): string => {
    const query = new URLSearchParams(
      topicsKey ? topicsKey.split('\n').map((t) => [TOPIC_PARAM, t]) : [],
    )
    query.set(EVENT_TOPICS_PARAM, '1')
    if (position === undefined) {
      if (options.replay) query.set(REPLAY_PARAM, `${options.replay}`)
    } else if (parseEventId(position)) query.set(LAST_EVENT_ID_PARAM, position)
    const base = String(url)
    return `${base}${base.includes('?') ? '&' : '?'}${query}`
  }

  const connect = (): void => {
    const current = ++generation
    lifecycle = createLifecycle(
      transport,
      // The tab's `signal` closes the tab, which closes this: not the lifecycle's business.
      { ...options, signal: undefined },
      {
        request: (headers) => {
          parser.reset({ lastEventId: position })
          tagged = undefined
          seen = position
          return {
            url: request(),
            headers,
            // A position that is not a Tidings id goes the standard way, as a header.
            lastEventId: position !== undefined && !parseEventId(position) ? position : undefined,
          }
        },
        data: (chunk) => {
          if (current === generation) feed(chunk)
        },
        settled: () => {},
        status: (status) => {
          if (current === generation) hooks.status(status)
        },
        report: (error) => {
          if (current === generation) hooks.report(error)
        },
        rethrow,
      },
    )
  }

  // A new connection replaces the current one at once, from the position.
  const restart = (): void => {
    const replaced = lifecycle
    connect()
    replaced?.close()
  }

  connect()
  return {
    topics(next) {
      const nextKey = key(next)
      if (closed || nextKey === topicsKey) return
      topicsKey = nextKey
      restart()
    },
    rewind(id) {
      if (closed || !isBefore(id, position)) return
      // A rewind still pending keeps the place the other tabs are at.
      back ??= position
      seen = position = id
      restart()
    },
    close() {
      if (closed) return
      closed = true
      generation++
      lifecycle?.close()
    },
  }
}

/** True when `id` comes before `than` in the same history. */
export function isBefore(id: string | undefined, than: string | undefined): boolean {
  const a = id === undefined ? undefined : parseEventId(id)
  const b = than === undefined ? undefined : parseEventId(than)
  return !!a && !!b && a.epoch === b.epoch && a.seq < b.seq
}
