import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { validatePayload } from '@tidings/schema'
import { createEmitter, type EventStore, HttpError } from '@tidings/server'
import {
  type ChatErrorBody,
  chatEvents,
  LOBBY,
  NICKNAME_PATTERN,
  type OnlineSnapshot,
} from './contract.js'
import { createMemoryPresence, type Presence } from './presence.js'

/** Options of {@link createChatApp}. */
export interface ChatAppOptions {
  /**
   * How many messages one nickname may post per window.
   * @defaultValue `{ max: 5, windowMs: 5000 }`
   */
  rateLimit?: { max: number; windowMs: number }
  /**
   * How long a nickname with no open stream still counts as online, so a page
   * that reconnects (or reloads) does not flap "left" / "joined". Longer than a
   * typical reconnection: the server's `retry:` hint alone is up to 4.5 s.
   * @defaultValue 5000
   */
  presenceGraceMs?: number
  /**
   * How many events the in-memory history keeps for replay and resumption.
   * @defaultValue 500
   */
  historySize?: number
  /**
   * A shared event store (`@tidings/redis`), to serve the chat from several
   * processes; give them a shared `presence` too.
   * @defaultValue none: the history lives in this process
   */
  store?: EventStore
  /** @defaultValue in this process's memory */
  presence?: Presence
}

/** The chat example's server side. Mount its handlers under any prefix. */
export interface ChatApp {
  /** `GET …/events`: the SSE stream of the lobby (needs `?nick=` or a `nick` cookie). */
  handleEvents(req: IncomingMessage, res: ServerResponse): void
  /**
   * The same stream over a WebSocket (a Node server's `upgrade` event), which
   * the page's client falls back to where SSE is blocked.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** `POST …/messages` with `{ "text": "…" }`: validates, rate-limits, emits. */
  handleMessages(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** `GET …/online`: who is online now, as an {@link OnlineSnapshot}. */
  handleOnline(req: IncomingMessage, res: ServerResponse): Promise<void>
  /**
   * Cuts every open stream of `nick` from the server side, as a crashed proxy
   * or a flaky network would. For tests and demos; returns how many it cut.
   */
  dropConnections(nick: string): number
  /** Closes every stream and stops the timers. */
  close(): Promise<void>
}

interface Principal {
  readonly nick: string
}

const MAX_BODY_BYTES = 16 * 1024

/** The nickname a request claims, from `?nick=` or else the `nick` cookie; `undefined` when invalid. */
export function nicknameOf(
  url: string | undefined,
  cookie: string | null | undefined,
): string | undefined {
  const fromQuery = new URL(url ?? '/', 'http://localhost').searchParams.get('nick')
  let nick = fromQuery
  if (nick === null && cookie) {
    for (const part of cookie.split(';')) {
      const [key, ...value] = part.trim().split('=')
      if (key === 'nick') nick = decodeURIComponent(value.join('='))
    }
  }
  return nick !== null && NICKNAME_PATTERN.test(nick) ? nick : undefined
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  })
  res.end(text)
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body: ChatErrorBody = { error: { code, message } }
  sendJson(res, status, body, headers)
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The chat: one room (`room:lobby`), presence from the emitter's connection
 * hooks, messages POSTed, validated against the contract and emitted to the
 * room. Recent history comes from the emitter's own history through the
 * client's `replay` option: there is no separate message store.
 */
export function createChatApp(options: ChatAppOptions = {}): ChatApp {
  const rateLimit = options.rateLimit ?? { max: 5, windowMs: 5000 }
  const graceMs = options.presenceGraceMs ?? 5000

  // Presence: open streams per nickname (shared between processes with Redis).
  // A closed stream leaves only after the grace period, so one that reconnects,
  // to this process or another, does not flap "left" / "joined".
  const presence = options.presence ?? createMemoryPresence()
  const pendingLeaves = new Map<string, ReturnType<typeof setTimeout>[]>()
  let closed = false

  // Rate limiting: accepted message times per nickname, a sliding window.
  const sent = new Map<string, number[]>()

  // The Node responses of each nickname's streams, for dropConnections.
  const responses = new Map<string, Set<ServerResponse>>()

  const announce = async (kind: 'join' | 'leave', user: string): Promise<void> => {
    const rev = await presence.rev(true)
    const online = await presence.online()
    await emitter.to(LOBBY).emit('chat:presence', { kind, user, online, rev })
  }
  const report = (error: unknown) => {
    if (!closed) console.error('chat presence:', error)
  }

  const emitter = createEmitter(chatEvents, {
    history: { maxEvents: options.historySize ?? 500 },
    ...(options.store ? { store: options.store } : {}),
    // The demo trusts the nickname a request claims; a real app would check a
    // session cookie or a bearer token here (see docs/guide/security.md).
    authorize: (request): Principal => {
      const nick = nicknameOf(request.url, request.headers.get('cookie'))
      if (nick === undefined) {
        throw new HttpError(
          'unauthorized',
          'Pick a nickname first: add ?nick=<1 to 24 letters, digits, _ . ->.',
        )
      }
      return { nick }
    },
    canSubscribe: (_principal, topic) => topic === LOBBY,
    onConnect: ({ principal: { nick } }) => {
      // A stream of this nickname closed moments ago, here: it takes that one's place.
      const pending = pendingLeaves.get(nick)?.pop()
      if (pending !== undefined) {
        clearTimeout(pending)
        return
      }
      presence
        .opened(nick)
        .then((first) => (first ? announce('join', nick) : undefined))
        .catch(report)
    },
    onDisconnect: ({ principal: { nick } }) => {
      if (closed) return
      const timer = setTimeout(() => {
        const timers = pendingLeaves.get(nick)
        timers?.splice(timers.indexOf(timer), 1)
        if (timers?.length === 0) pendingLeaves.delete(nick)
        presence
          .closed(nick)
          .then((last) => (last ? announce('leave', nick) : undefined))
          .catch(report)
      }, graceMs)
      pendingLeaves.set(nick, [...(pendingLeaves.get(nick) ?? []), timer])
    },
  })

  return {
    handleUpgrade(req, socket, head) {
      void emitter.upgrade(req, socket, head)
    },

    handleEvents(req, res) {
      const nick = nicknameOf(req.url, req.headers.cookie)
      if (nick !== undefined) {
        let set = responses.get(nick)
        if (!set) {
          set = new Set()
          responses.set(nick, set)
        }
        set.add(res)
        res.once('close', () => {
          set.delete(res)
          if (set.size === 0 && responses.get(nick) === set) responses.delete(nick)
        })
      }
      void emitter.handle(req, res)
    },

    async handleMessages(req, res) {
      if (req.method !== 'POST') {
        sendError(res, 405, 'method_not_allowed', 'Send messages with POST.', { Allow: 'POST' })
        return
      }
      const nick = nicknameOf(req.url, req.headers.cookie)
      if (nick === undefined) {
        sendError(
          res,
          401,
          'unauthorized',
          'Pick a nickname first: 1 to 24 letters, digits, "_", "." or "-".',
        )
        return
      }
      if (!req.headers['content-type']?.startsWith('application/json')) {
        sendError(res, 415, 'unsupported_media_type', 'Send the message as JSON: {"text": "..."}.')
        return
      }
      const raw = await readBody(req)
      if (raw === undefined) {
        sendError(
          res,
          413,
          'payload_too_large',
          `The request body is larger than ${MAX_BODY_BYTES} bytes.`,
        )
        return
      }
      let body: unknown
      try {
        body = JSON.parse(raw)
      } catch {
        sendError(
          res,
          400,
          'invalid_json',
          'The request body is not valid JSON: send {"text": "..."}.',
        )
        return
      }
      const text =
        typeof body === 'object' && body !== null ? (body as { text?: unknown }).text : undefined

      const now = Date.now()
      const recent = (sent.get(nick) ?? []).filter((at) => now - at < rateLimit.windowMs)
      if (recent.length >= rateLimit.max) {
        const retryMs = rateLimit.windowMs - (now - recent[0]!)
        const retrySeconds = Math.max(1, Math.ceil(retryMs / 1000))
        sendError(
          res,
          429,
          'rate_limited',
          `Slow down: at most ${rateLimit.max} messages every ${rateLimit.windowMs / 1000} s. Try again in ${retrySeconds} s.`,
          { 'Retry-After': String(retrySeconds) },
        )
        return
      }

      const result = validatePayload(chatEvents, 'chat:message', { user: nick, text, sentAt: now })
      if (!result.success) {
        const issue = result.issues[0]
        const message =
          typeof text === 'string'
            ? (issue?.message ?? 'The message is invalid.')
            : 'Send the message as JSON: {"text": "..."}.'
        sendError(res, 400, 'invalid_message', message)
        return
      }
      recent.push(now)
      sent.set(nick, recent)
      // Forget nicknames that have been quiet for a whole window, so the map stays small.
      if (sent.size > 1000) {
        for (const [name, times] of sent) {
          if (now - (times.at(-1) ?? 0) >= rateLimit.windowMs) sent.delete(name)
        }
      }
      try {
        const id = await emitter.to(LOBBY).emit('chat:message', result.value)
        sendJson(res, 201, { id })
      } catch (error) {
        // With a shared store, the store could not take it (Redis down, say).
        sendError(res, 503, 'unavailable', `The message was not sent: ${(error as Error).message}`)
      }
    },

    async handleOnline(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, 405, 'method_not_allowed', 'Use GET.', { Allow: 'GET' })
        return
      }
      const snapshot: OnlineSnapshot = {
        online: await presence.online(),
        rev: await presence.rev(),
      }
      sendJson(res, 200, snapshot)
    },

    dropConnections(nick) {
      const set = responses.get(nick)
      if (!set) return 0
      const count = set.size
      for (const res of [...set]) res.destroy()
      return count
    },

    async close() {
      closed = true
      await emitter.close()
      // After close: the streams it ended went through onDisconnect, which must not leave timers behind.
      for (const timers of pendingLeaves.values()) for (const timer of timers) clearTimeout(timer)
      pendingLeaves.clear()
    },
  }
}
