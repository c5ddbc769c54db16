import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { createParser, type ParsedEvent } from '@tidings/schema'
import type { Emitter } from '@tidings/server'

/** The two ways a Tidings emitter is served: every scenario runs through both. */
export const HANDLERS = ['node', 'fetch'] as const
export type HandlerKind = (typeof HANDLERS)[number]

export interface Served {
  readonly url: string
  readonly port: number
  readonly server: http.Server
  /** Drops every open connection from the server side (the streams break; the server keeps listening). */
  drop(): void
  close(): Promise<void>
}

// biome-ignore lint/suspicious/noExplicitAny: tests serve emitters of any contract and principal
type AnyEmitter = Emitter<any, any, any>

/** Listens on 127.0.0.1 on a free port. */
export function listen(server: http.Server): Promise<Served> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        drop: () => server.closeAllConnections(),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

/**
 * Serves an emitter through the Node handler or the Fetch handler (adapted with
 * @hono/node-server), on every path; with `page`, `GET /page.html` serves that
 * HTML instead (same origin as the stream, for browser tests) and only `/events*` streams.
 */
export function serveEmitter(
  kind: HandlerKind,
  emitter: AnyEmitter,
  page?: string,
): Promise<Served> {
  const stream =
    kind === 'node'
      ? (req: http.IncomingMessage, res: http.ServerResponse) => void emitter.handle(req, res)
      : getRequestListener((request: Request) => emitter.fetch(request))
  return listen(
    http.createServer((req, res) => {
      if (page !== undefined && req.url === '/page.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
        res.end(page)
        return
      }
      // A browser also asks for /favicon.ico: that must not open a stream.
      if (page !== undefined && !req.url?.startsWith('/events')) {
        res.writeHead(404).end()
        return
      }
      void stream(req, res)
    }),
  )
}

/** A raw SSE consumer over Node `http`, parsing with the schema's spec parser. */
export interface Stream {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly response: IncomingMessage
  /** Everything received, as text. */
  text(): string
  readonly comments: string[]
  readonly retries: number[]
  /** The next dispatched event (waits for it; rejects if the stream ends first). */
  next(): Promise<ParsedEvent>
  take(count: number): Promise<ParsedEvent[]>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  /** The stream's last event id, as an EventSource would keep it. */
  lastEventId(): string | undefined
  close(): void
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let text = ''
      const queue: ParsedEvent[] = []
      const comments: string[] = []
      const retries: number[] = []
      let waiter: (() => void) | undefined
      let done = false
      const parser = createParser({
        onEvent: (event) => {
          queue.push(event)
          waiter?.()
        },
        onComment: (comment) => comments.push(comment),
        onRetry: (ms) => retries.push(ms),
      })
      res.on('data', (chunk: Buffer) => {
        const s = chunk.toString('utf8')
        text += s
        parser.feed(chunk)
      })
      const ended = new Promise<void>((done2) => {
        const finish = () => {
          done = true
          waiter?.()
          done2()
        }
        res.on('end', finish)
        res.on('close', finish)
        res.on('error', finish)
      })
      const next = async (): Promise<ParsedEvent> => {
        while (queue.length === 0) {
          if (done) throw new Error(`stream ended; received: ${JSON.stringify(text.slice(-500))}`)
          await new Promise<void>((wake) => {
            waiter = wake
          })
          waiter = undefined
        }
        return queue.shift()!
      }
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        response: res,
        text: () => text,
        comments,
        retries,
        next,
        async take(count) {
          const out: ParsedEvent[] = []
          for (let i = 0; i < count; i++) out.push(await next())
          return out
        },
        ended,
        // Ids are written as `id:<value>` lines; the last one is what an EventSource keeps.
        lastEventId: () => [...text.matchAll(/^id:(.*)$/gm)].at(-1)?.[1],
        close: () => {
          req.destroy()
          res.destroy()
        },
      })
    })
    req.on('error', reject)
  })
}

/** Reads a stream until the server ends it: every event it received. */
export async function drain(stream: Stream): Promise<ParsedEvent[]> {
  await stream.ended
  const out: ParsedEvent[] = []
  for (;;) {
    try {
      out.push(await stream.next())
    } catch {
      return out
    }
  }
}

/** A plain request returning status, headers and body text (for error answers). */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
          // A stream never ends: stop at the first chunk of a 200 event stream.
          if (res.statusCode === 200) {
            req.destroy()
            resolve({ status: 200, headers: res.headers, body })
          }
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Waits until `check` holds, polling on the event loop (bounded; no timing assertions). */
export async function until(check: () => boolean, what = 'condition', tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}
