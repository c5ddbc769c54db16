import type { AnyContract } from '@tidings/schema'
import { type Client, rethrow } from './client.js'
import { createClientEvents, listenerMethods } from './client-events.js'
import { createDelivery } from './delivery.js'
import { createEnds } from './ends.js'
import { type ClientError, ConnectionError, ResponseError } from './errors.js'
import type { DebugInfo, SseClientOptions } from './options.js'
import { createShareLeader, isBefore, type ShareLeader } from './share-leader.js'
import type { RelayedError, ShareMessage } from './share-messages.js'
import type { ClientStatus, CloseReason } from './status.js'
import type { Transport } from './transport.js'

/** The part of `BroadcastChannel` the tabs talk over. */
export interface ChannelLike {
  postMessage(message: ShareMessage): void
  onmessage: ((event: { readonly data: ShareMessage }) => void) | null
  close(): void
}

/** The part of the Web Locks API (`navigator.locks`) the election uses. */
export interface LocksLike {
  request(
    name: string,
    options: { signal: AbortSignal } | { steal: true },
    granted: () => Promise<void>,
  ): Promise<unknown>
}

/** What a shared client needs from the platform; the browser's by default. */
export interface SharePlatform {
  readonly locks: LocksLike
  channel(name: string): ChannelLike
}

/**
 * How long a new leader waits for the other tabs to say how far they got before
 * it connects. A tab that has not answered by then is taken for gone (closed or
 * crashed without saying goodbye).
 */
const ROLL_CALL_MS = 300

/** How often a follower checks that the leader of an open stream is still heard. */
const WATCH_MS = 1000

type PageLike = {
  addEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void
  removeEventListener?: (type: string, listener: (event: { persisted?: boolean }) => void) => void
}

/**
 * The earliest and the latest of `ids`, in the history of the first one given
 * (the tab's own position, if it has one).
 */
const extent = (ids: readonly (string | undefined)[]): [string | undefined, string | undefined] => {
  let first = ids.find((id) => id !== undefined)
  let last = first
  for (const id of ids) {
    if (isBefore(id, first)) first = id
    if (isBefore(last, id)) last = id
  }
  return [first, last]
}

const relayError = (error: ResponseError | ConnectionError): RelayedError => ({
  name: error.name,
  code: error.code,
  message: error.message,
  status: error instanceof ResponseError ? error.status : undefined,
  retryAfterMs: error instanceof ResponseError ? error.retryAfterMs : undefined,
  willRetry: error.willRetry,
})

const rebuildError = (relayed: RelayedError): ClientError => {
  const error =
    relayed.name === 'ResponseError'
      ? new ResponseError(
          relayed.code as ResponseError['code'],
          relayed.status ?? 0,
          relayed.message,
          relayed.retryAfterMs,
        )
      : new ConnectionError(relayed.code as ConnectionError['code'], relayed.message)
  return Object.assign(error, { willRetry: relayed.willRetry })
}

/**
 * A client whose tab shares one connection with the other tabs on `name`. Every
 * tab asks for the lock `name`; the tab holding it leads: it reads the stream on
 * the union of all the tabs' topics (see {@link createShareLeader}) and relays
 * each event, with its topics, its status and its errors, over the
 * `BroadcastChannel` `name`. Every tab (the leader too) keeps the events of its own
 * topics and hands them to its own delivery stage (dedupe by id, gap, validation,
 * listeners), so the API is the one of an unshared client.
 *
 * When the leader goes (`close()`, the page closes or freezes), the lock passes to
 * another tab, which raises the term, asks every tab how far it got, and resumes
 * from the earliest position: no tab loses an event, and the events some tabs had
 * already are dropped as duplicates. When the history does not reach back that
 * far, the server's gap event reaches every tab.
 */
export function createSharedClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL,
  options: SseClientOptions,
  makeTransport: (debug: (info: DebugInfo) => void) => Transport,
  name: string,
  platform: SharePlatform,
): Client<TContract> {
  const tab = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  const topics = [...new Set(options.topics ?? [])]
  const mine = new Set(topics)
  const events = createClientEvents(rethrow)
  const debug = (info: DebugInfo): void => {
    try {
      options.onDebug?.(info)
    } catch (error) {
      rethrow(error)
    }
  }
  const report = (error: unknown): void => events.emit('tidings:error', error)
  let status: ClientStatus = { state: 'connecting' }
  let closed = false
  // The last id of the shared stream this tab processed, whatever its topics.
  let position = options.lastEventId
  // A tab that joins without a position is owed every event from where the stream
  // is when it joins: it borrows the position the other tabs answer its join with
  // until an event gives it its own, so that a new leader does not resume from
  // "now" for it. The earliest answer: at worst an event is read again and dropped.
  let borrowed = position === undefined
  let term = 0
  let lastError: ClientError | undefined
  // The other tabs, by id: their topics, and their position when they told it.
  const peers = new Map<string, { topics: readonly string[]; position: string | undefined }>()
  let channel: ChannelLike | undefined
  let lockRequest: AbortController | undefined
  let release: (() => void) | undefined
  let leader: ShareLeader | undefined
  let rollCall: ((from: string, position: string | undefined) => void) | undefined
  let transport: Transport | undefined
  // When the current leader was last heard from, and the heartbeat its server announced.
  let heard = Date.now()
  let leaderHeartbeat = 0
  let watchdog: ReturnType<typeof setTimeout> | undefined
  // Spreads the followers' decisions, so that one takes the lead rather than all in turn.
  const patience = Math.random() * WATCH_MS

  // This tab's topics that ended; all of them ended closes this tab, as it closes a client.
  const ends = createEnds(topics)
  const delivery = createDelivery(
    contract,
    {
      emit: events.emit,
      report,
      debug,
      // The leader's lifecycle uses these; a tab only delivers.
      hello: () => {},
      retry: () => {},
      closed: () => closed,
      end: (info) => {
        // The shared stream carries other tabs' topics too.
        if (topics.length > 0 && !mine.has(info.topic)) return
        const all = ends.record(info)
        events.emit('tidings:end', info)
        if (all) finish('ended')
      },
    },
    options.lastEventId,
    options.maxLineLength,
  )
  delivery.start()

  const post = (message: ShareMessage): void => channel?.postMessage(message)
  const union = (): Set<string> => {
    const all = new Set(topics)
    for (const peer of peers.values()) for (const topic of peer.topics) all.add(topic)
    return all
  }
  const here = (): ShareMessage => ({ t: 'here', from: tab, topics, position })

  const setStatus = (next: ClientStatus): void => {
    status = next
    events.emit('tidings:status', next)
  }

  // The shared connection's status, as this tab shows it.
  const follow = (next: ClientStatus): void => {
    if (next.state === 'closed') {
      finish(next.reason, next.error ?? lastError)
      return
    }
    // A new connection (a new leader, a new union) after this tab saw one: a reconnection.
    const shown: ClientStatus =
      next.state === 'connecting' && status.state !== 'connecting'
        ? { state: 'reconnecting', attempt: 1, delayMs: 0 }
        : next
    if (JSON.stringify(shown) !== JSON.stringify(status)) setStatus(shown)
  }

  const receive = (message: Extract<ShareMessage, { t: 'event' }>): void => {
    // A gap for the tabs the stream went back for; this one was not behind.
    if (message.before !== undefined && !isBefore(position, message.before)) return
    if (message.id !== undefined) {
      position = message.id
      borrowed = false
    }
    // A bookmark moves the position only; other topics' events are not this tab's.
    if (!message.event) return
    if (message.topics && !message.topics.some((topic) => mine.has(topic))) return
    delivery.accept({ id: message.id, event: message.event, data: message.data })
  }

  // A leader's message counts when it is of the current term or a newer one.
  const current = (message: { readonly term: number; readonly from: string }): boolean => {
    if (message.term < term) return false
    heard = Date.now()
    if (message.term > term) {
      term = message.term
      // Another tab leads now (this one's lock was taken while it was frozen): follow it.
      if (leader && message.from !== tab) {
        stepDown()
        requestLock()
      }
    }
    return true
  }

  const handle = (message: ShareMessage): void => {
    if (closed) return
    switch (message.t) {
      case 'join':
        peers.set(message.from, { topics: message.topics, position: message.position })
        post(here())
        if (leader) {
          leader.topics(union())
          if (message.position !== undefined) leader.rewind(message.position)
          post({ t: 'status', from: tab, term, status: withoutError(status) })
        }
        break
      case 'here':
        peers.set(message.from, { topics: message.topics, position: message.position })
        if (borrowed && (position === undefined || isBefore(message.position, position))) {
          position = message.position
        }
        rollCall?.(message.from, message.position)
        leader?.topics(union())
        break
      case 'bye':
        peers.delete(message.from)
        leader?.topics(union())
        break
      case 'lead':
        if (current(message)) post(here())
        break
      case 'event':
        if (current(message)) receive(message)
        break
      case 'status':
        if (current(message)) follow(message.status)
        break
      case 'beat':
        if (current(message)) leaderHeartbeat = message.heartbeatMs
        break
      case 'error':
        if (current(message)) {
          lastError = rebuildError(message.error)
          report(lastError)
        }
        break
    }
  }

  // What the leader reads goes to every other tab, then to this one, in the same order.
  const relay = (message: ShareMessage): void => {
    post(message)
    handle(message)
  }

  const lead = (): void => {
    term++
    post({ t: 'lead', from: tab, term })
    const waiting = new Set(peers.keys())
    const positions = [position]
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = (): void => {
      clearTimeout(timer)
      rollCall = undefined
      for (const gone of waiting) peers.delete(gone)
      if (closed || !release) return
      debug({ type: 'leader', term })
      transport ??= makeTransport(debug)
      const [from, ahead] = extent(positions)
      leader = createShareLeader(
        transport,
        url,
        options,
        from,
        union(),
        {
          event: (id, event, data, eventTopics, before) =>
            relay({ t: 'event', from: tab, term, id, event, data, topics: eventTopics, before }),
          status: (next) => {
            post({ t: 'status', from: tab, term, status: withoutError(next) })
            follow(next)
          },
          beat: (heartbeatMs) => post({ t: 'beat', from: tab, term, heartbeatMs }),
          report: (error) => {
            if (error instanceof ResponseError || error instanceof ConnectionError) {
              lastError = error
              post({ t: 'error', from: tab, term, error: relayError(error) })
            }
            report(error)
          },
        },
        ahead,
      )
    }
    rollCall = (from, answer) => {
      if (!waiting.delete(from)) return
      positions.push(answer)
      if (waiting.size === 0) done()
    }
    if (waiting.size === 0) done()
    else timer = setTimeout(done, ROLL_CALL_MS)
  }

  // `steal`: the leader holds the lock but is not heard (hung, or frozen without the
  // `freeze` event): take it. A stolen leader that runs again hears the new term and
  // steps down.
  const requestLock = (steal?: true): void => {
    const request = new AbortController()
    lockRequest?.abort()
    lockRequest = request
    platform.locks
      .request(
        name,
        // A steal cannot take a signal (the Web Locks API refuses the pair).
        steal ? { steal } : { signal: request.signal },
        () =>
          new Promise<void>((resolve) => {
            if (closed || lockRequest !== request) return resolve()
            release = resolve
            lead()
          }),
      )
      // Aborted by close() or a step down: nothing to do. Stolen while this tab led
      // (another tab found it silent): the lock is the other tab's, and so is the
      // stream; stepping down at once, rather than on hearing the new term, keeps two
      // tabs that stole in turn from both holding a connection.
      .catch(() => {
        if (lockRequest !== request || !release) return
        stepDown()
        if (!closed) requestLock()
      })
  }

  // Stops leading (the stream closes, the lock goes to the next tab in line).
  const stepDown = (): void => {
    rollCall = undefined
    leader?.close()
    leader = undefined
    release?.()
    release = undefined
    lockRequest?.abort()
    lockRequest = undefined
  }

  // A stream the leader keeps open is heard at least every heartbeat (a `beat`):
  // silence for as long as an idle connection is allowed means the leader is gone.
  const watch = (): void => {
    const staleMs = options.idleTimeoutMs ?? (leaderHeartbeat && leaderHeartbeat * 2 + 5000)
    if (
      staleMs > 0 &&
      !release &&
      status.state === 'open' &&
      Date.now() - heard > staleMs + patience
    ) {
      heard = Date.now()
      requestLock(true)
    }
    watchdog = setTimeout(watch, WATCH_MS)
  }

  const join = (): void => {
    // Back from a freeze: the leader has not been silent, this tab was away.
    heard = Date.now()
    post({ t: 'join', from: tab, topics, position })
    requestLock()
  }
  const leave = (): void => {
    stepDown()
    post({ t: 'bye', from: tab })
  }

  // A page that freezes or goes into the back/forward cache cannot relay: it hands
  // over, and joins again when it comes back.
  const page = globalThis as PageLike
  const doc = (globalThis as { document?: PageLike }).document
  const onHide = (): void => {
    if (!closed) leave()
  }
  const onShow = (event: { persisted?: boolean }): void => {
    if (!closed && (event.persisted ?? true)) join()
  }

  const finish = (reason: CloseReason, error?: ClientError): void => {
    if (closed) return
    leave()
    closed = true
    clearTimeout(watchdog)
    channel?.close()
    channel = undefined
    page.removeEventListener?.('pagehide', onHide)
    page.removeEventListener?.('pageshow', onShow)
    doc?.removeEventListener?.('freeze', onHide)
    doc?.removeEventListener?.('resume', onShow)
    setStatus({ state: 'closed', reason, ...(error && { error }) })
    ends.closed()
  }

  if (options.signal?.aborted) finish('signal')
  else {
    options.signal?.addEventListener('abort', () => finish('signal'), { once: true })
    // Start after the caller's synchronous `on(...)` calls, so they see `connecting`.
    queueMicrotask(() => {
      if (closed) return
      setStatus(status)
      channel = platform.channel(name)
      channel.onmessage = (event) => handle(event.data)
      page.addEventListener?.('pagehide', onHide)
      page.addEventListener?.('pageshow', onShow)
      doc?.addEventListener?.('freeze', onHide)
      doc?.addEventListener?.('resume', onShow)
      join()
      watch()
    })
  }

  return {
    ...listenerMethods(events),
    get status() {
      return status
    },
    get lastEventId() {
      return delivery.lastEventId
    },
    ended: (topic) => ends.wait(topic, closed),
    close: () => finish('close'),
  }
}

/** A status as it crosses the channel: its error travels in an `error` message. */
function withoutError(status: ClientStatus): ClientStatus {
  return status.state === 'closed' ? { state: 'closed', reason: status.reason } : status
}
