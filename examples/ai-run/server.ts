import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createEmitter, type EventStore } from '@tidings/server'
import { runEvents, runTopic, type StartedRun } from './contract.js'
import { tokensFor } from './generator.js'

/** Options of {@link createRunApp}. */
export interface RunAppOptions {
  /**
   * The pause between two generated tokens, in milliseconds (tests use a short one).
   * @defaultValue 120
   */
  tokenMs?: number
  /**
   * A shared event store (`@tidings/redis`), to serve runs from several processes.
   * @defaultValue none: the history lives in this process
   */
  store?: EventStore
}

/** What the run example counts, for the tests (and a curious reader). */
export interface RunStats {
  /** Generators started: one per `POST /ai-run/runs`, however many pages watch. */
  readonly runsStarted: number
  /** Tokens generated and emitted, over all runs. */
  readonly tokensEmitted: number
  /** `GET /ai-run/events` asking for a stream (`Accept: text/event-stream` or any). */
  readonly streamRequests: number
  /** `GET /ai-run/events` asking for a history page (`Accept: application/json`). */
  readonly historyRequests: number
}

/** The run example's server side. */
export interface RunApp {
  /** `GET`: a run's stream, or a page of its history as JSON (`Accept: application/json`). */
  handleEvents(req: IncomingMessage, res: ServerResponse): void
  /** `POST /ai-run/runs` starts a run; `POST /ai-run/runs/<id>/cancel` cancels one. */
  handleRuns(req: IncomingMessage, res: ServerResponse): Promise<void>
  stats(): RunStats
  /** Stops every generator and closes every stream. */
  close(): Promise<void>
}

const MAX_PROMPT = 200
const MAX_RUNNING = 100
const MAX_BODY_BYTES = 4096

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  })
  res.end(JSON.stringify(body))
}
const sendError = (res: ServerResponse, status: number, code: string, message: string): void =>
  sendJson(res, status, { error: { code, message } })

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new RangeError('too large')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : {}
}

/**
 * Runs of a simulated model, one topic each. `POST /ai-run/runs` starts the
 * generator and answers the run's topic at once; the generator emits each token
 * to the topic and ends it (`complete`); `POST .../cancel` stops it and ends the
 * topic (`cancelled`). Pages never talk to the generator: they read the topic's
 * history and stream, so a reload, a second tab or a late visit never starts a
 * second generation.
 */
export function createRunApp(options: RunAppOptions = {}): RunApp {
  const tokenMs = options.tokenMs ?? 120
  const emitter = createEmitter(runEvents, {
    // A run is a few hundred events: room for many runs, for late visits.
    history: { maxEvents: 50_000 },
    ...(options.store ? { store: options.store } : {}),
  })
  // Runs still generating: their next token's timer.
  const running = new Map<string, ReturnType<typeof setTimeout>>()
  let runsStarted = 0
  let tokensEmitted = 0
  let streamRequests = 0
  let historyRequests = 0

  // With a store, emit and end return promises: a failure is logged, not thrown into a timer.
  const settle = (result: unknown): void => {
    Promise.resolve(result).catch((error: unknown) => console.error(error))
  }

  const start = (prompt: string): StartedRun => {
    const id = randomBytes(6).toString('hex')
    const topic = runTopic(id)
    const tokens = tokensFor(prompt)
    const run = emitter.to(topic)
    runsStarted++
    // Emitted before the answer: the run's history is never empty, so a page always
    // has an id to resume from.
    settle(run.emit('run:start', { prompt, tokens: tokens.length }))
    const next = (index: number): void => {
      if (index === tokens.length) {
        running.delete(id)
        settle(run.end('complete'))
        return
      }
      tokensEmitted++
      settle(run.emit('run:token', { index, text: tokens[index] as string }))
      running.set(
        id,
        setTimeout(() => next(index + 1), tokenMs),
      )
    }
    running.set(
      id,
      setTimeout(() => next(0), tokenMs),
    )
    return { id, topic }
  }

  const cancel = (id: string): boolean => {
    const timer = running.get(id)
    if (timer === undefined) return false
    clearTimeout(timer)
    running.delete(id)
    settle(emitter.to(runTopic(id)).end('cancelled'))
    return true
  }

  return {
    handleEvents(req, res) {
      if (req.headers.accept?.includes('application/json')) historyRequests++
      else streamRequests++
      void emitter.handle(req, res)
    },
    async handleRuns(req, res) {
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' })
        res.end()
        return
      }
      const { pathname } = new URL(req.url ?? '/', 'http://localhost')
      const cancelled = /^\/ai-run\/runs\/([0-9a-f]{12})\/cancel$/.exec(pathname)
      if (cancelled) {
        if (cancel(cancelled[1] as string)) return sendJson(res, 200, { cancelled: true })
        return sendError(
          res,
          409,
          'not_running',
          'This run is not running (it ended, or never was).',
        )
      }
      if (pathname !== '/ai-run/runs') return sendError(res, 404, 'not_found', 'No such route.')
      let body: unknown
      try {
        body = await readJson(req)
      } catch {
        return sendError(
          res,
          400,
          'invalid_json',
          `Send a JSON body of at most ${MAX_BODY_BYTES} bytes.`,
        )
      }
      const prompt = (body as { prompt?: unknown } | null)?.prompt ?? ''
      if (typeof prompt !== 'string' || prompt.length > MAX_PROMPT) {
        return sendError(
          res,
          400,
          'invalid_prompt',
          `prompt: a string of at most ${MAX_PROMPT} characters.`,
        )
      }
      if (running.size >= MAX_RUNNING) {
        return sendError(res, 429, 'too_many_runs', 'Too many runs at once: try again shortly.')
      }
      sendJson(res, 201, start(prompt))
    },
    stats: () => ({ runsStarted, tokensEmitted, streamRequests, historyRequests }),
    async close() {
      for (const timer of running.values()) clearTimeout(timer)
      running.clear()
      await emitter.close()
    },
  }
}
