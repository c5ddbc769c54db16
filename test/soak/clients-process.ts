/**
 * A process of soak clients: real `@tidings/client` clients on Node's `fetch`,
 * each recording what it receives, driven by `soak.ts` over IPC. The verdict
 * per client is computed here (the parent sends the emit log), so only the
 * table's rows travel back, however long the run.
 */
import {
  type Client,
  type ClientOptions,
  createClient,
  type FetchLike,
  type GapInfo,
} from '@tidings/client'
import { parseEventId } from '@tidings/schema'
import { WebSocket } from 'ws'
import { announceReady, serveParent } from '../support/child-rpc.js'
import { type ClientRow, checkClient, type Emitted, type SeenGap } from './checker.js'
import { soakEvents } from './contract.js'

export interface ClientSpec {
  readonly index: number
  readonly topics: readonly string[]
}

export type ClientsRequest =
  | {
      cmd: 'start'
      url: string
      /** The emitter's epoch: ids are kept as numbers, and an id of another epoch as -1. */
      epoch: string
      idleTimeoutMs: number
      /** Options the leg adds (serialisable: a transport name, not functions). */
      options: Partial<ClientOptions>
      clients: readonly ClientSpec[]
    }
  | { cmd: 'progress' }
  | { cmd: 'check'; ids: readonly string[]; topics: readonly (readonly string[] | null)[] }
  | { cmd: 'close' }

/** Where each client stands, in the order of `start`'s `clients`. */
export interface ClientsProgress {
  /** The sequence number of the client's `lastEventId`; -1 without one. */
  readonly positions: readonly number[]
  readonly reconnects: readonly number[]
  readonly finals: readonly number[]
}

interface Tracked {
  readonly spec: ClientSpec
  readonly client: Client<typeof soakEvents>
  // Compact: two numbers per delivery, so long runs stay small.
  readonly ns: number[]
  readonly seqs: number[]
  readonly gaps: SeenGap[]
  reconnects: number
  finals: number
  readonly fetches: { pending: number }
  readonly errors: { [key: string]: number }
}

let epoch = ''
const tracked: Tracked[] = []

const seqOf = (id: string | undefined): number => {
  const parsed = id === undefined ? undefined : parseEventId(id)
  return parsed && parsed.epoch === epoch ? parsed.seq : -1
}

function errorKey(error: unknown): string {
  const { name, code } = error as { name?: unknown; code?: unknown }
  return `${String(name ?? 'Error')}${code === undefined ? '' : `:${String(code)}`}`
}

function start(request: Extract<ClientsRequest, { cmd: 'start' }>): void {
  epoch = request.epoch
  for (const spec of request.clients) {
    // Counts requests that have not settled, to tell a hung `fetch` from a hung client.
    const fetches = { pending: 0 }
    const counted: FetchLike = (url, init) => {
      fetches.pending++
      return fetch(url, init).finally(() => {
        fetches.pending--
      })
    }
    const client = createClient(soakEvents, request.url, {
      ...request.options,
      // Node 20 has no global WebSocket: the `websocket` leg's clients use ws's.
      ...(request.options.transport === 'websocket' && { WebSocket }),
      fetch: counted,
      ...(spec.topics.length > 0 && { topics: spec.topics }),
      idleTimeoutMs: request.idleTimeoutMs,
      reconnect: { initialDelayMs: 20, maxDelayMs: 250 },
    })
    const t: Tracked = {
      spec,
      client,
      ns: [],
      seqs: [],
      gaps: [],
      reconnects: 0,
      finals: 0,
      fetches,
      errors: {},
    }
    client.on('tick', ({ n }, { id }) => {
      t.ns.push(n)
      t.seqs.push(seqOf(id))
    })
    client.on('final', () => {
      t.finals++
    })
    client.on('tidings:gap', (gap: GapInfo) => {
      // The client moved its position to the gap event's id before telling us.
      t.gaps.push({ reason: gap.reason, from: gap.lastEventId, to: client.lastEventId })
    })
    client.on('tidings:status', (status) => {
      if (status.state === 'reconnecting') t.reconnects++
    })
    client.on('tidings:error', (error) => {
      const key = errorKey(error)
      t.errors[key] = (t.errors[key] ?? 0) + 1
    })
    tracked.push(t)
  }
}

function check(ids: readonly string[], topics: readonly (readonly string[] | null)[]): ClientRow[] {
  const emitted: Emitted[] = ids.map((id, n) => ({ n, id, topics: topics[n] ?? null }))
  return tracked.map((t) =>
    checkClient(emitted, {
      index: t.spec.index,
      topics: t.spec.topics,
      received: t.ns.map((n, i) => {
        const seq = t.seqs[i]!
        return { n, id: seq >= 0 ? `${epoch}-${seq}` : undefined }
      }),
      gaps: t.gaps,
      reconnects: t.reconnects,
      finals: t.finals,
      errors: t.errors,
      state: t.client.status.state,
      pendingFetches: t.fetches.pending,
    }),
  )
}

serveParent<ClientsRequest>((request) => {
  switch (request.cmd) {
    case 'start':
      start(request)
      return null
    case 'progress':
      return {
        positions: tracked.map((t) => seqOf(t.client.lastEventId)),
        reconnects: tracked.map((t) => t.reconnects),
        finals: tracked.map((t) => t.finals),
      } satisfies ClientsProgress
    case 'check':
      return check(request.ids, request.topics)
    case 'close':
      for (const t of tracked) t.client.close()
      return null
  }
})
announceReady(process.pid)
