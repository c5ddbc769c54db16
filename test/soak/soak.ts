/**
 * The chaos soak: hundreds of real `@tidings/client` clients against a real
 * `createEmitter`, through the chaos proxy, while thousands of events are
 * emitted at a varied rate; then a per-client verdict (see `checker.ts`).
 *
 * Three kinds of process, so that none starves another's event loop: this one
 * (the emitter, its HTTP server and the orchestration), the proxy
 * (`proxy-process.ts`), and one or more client processes (`clients-process.ts`).
 * Every phase is bounded in time; a phase that runs out is recorded in
 * `timeouts` (not thrown) so the table still prints what happened.
 *
 * Run short by `soak.test.ts` (in `npm test`), long by `cli.ts` (`npm run soak`).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { parseEventId } from '@tidings/schema'
import { createEmitter } from '@tidings/server'
import type { ChaosFaults, ChaosStats } from '../support/chaos-proxy.js'
import { ChildRpc } from '../support/child-rpc.js'
import { seededRandom } from '../support/random.js'
import type { ClientRow } from './checker.js'
import type { ClientSpec, ClientsProgress, ClientsRequest } from './clients-process.js'
import { soakEvents } from './contract.js'
import { type LegName, legs } from './legs.js'
import type { ProxyRequest } from './proxy-process.js'

export interface SoakOptions {
  readonly leg: LegName
  readonly seed: number
  readonly clients: number
  /** Processes the clients are spread over. */
  readonly clientProcesses: number
  readonly events: number
  /** Distinct topics (`room:0` ...). */
  readonly topics: number
  /** The memory history's `maxEvents`: smaller means more gaps for clients that were away long. */
  readonly history: number
  /** The server's heartbeat; clients treat `idleTimeoutMs` of silence as a dead stream. */
  readonly heartbeatMs: number
  readonly idleTimeoutMs: number
  /** Bound of each waiting phase (connect, reconnect, catch up, final). */
  readonly phaseTimeoutMs: number
  readonly faults?: Partial<ChaosFaults> | undefined
  /** Progress lines (phases), for long runs. */
  readonly log?: ((line: string) => void) | undefined
}

/** The short run in `npm test` (with a leg and a seed). */
export const SHORT: Omit<SoakOptions, 'leg' | 'seed'> = {
  clients: 200,
  clientProcesses: 1,
  events: 2000,
  topics: 8,
  history: 1500,
  heartbeatMs: 250,
  idleTimeoutMs: 1500,
  phaseTimeoutMs: 60_000,
}

export interface SoakReport {
  readonly options: SoakOptions
  readonly rows: readonly ClientRow[]
  readonly proxy: ChaosStats
  readonly server: {
    readonly connectionsOpened: number
    readonly slowConsumers: number
    readonly eventsDropped: number
    readonly connectionsAtEnd: number
  }
  /** Phases that ran out of time, with what was missing. */
  readonly timeouts: readonly string[]
  readonly ms: { readonly connect: number; readonly emit: number; readonly total: number }
}

/** Text with multi-byte characters (2, 3 and 4 bytes in UTF-8), sometimes long. */
function text(rand: () => number): string {
  const long = rand() < 0.01
  const length = long ? 2000 + Math.floor(rand() * 6000) : Math.floor(rand() * 120)
  const alphabet = ['a', 'b', ' ', 'é', '€', '𝄞', 'ß', '中', '\u00a0']
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rand() * alphabet.length)]
  return out
}

/** Each client's subscription: a fifth broadcast-only, the others 1 to 3 topics. */
function subscription(rand: () => number, topics: readonly string[]): string[] {
  if (rand() < 0.2) return []
  const count = 1 + Math.floor(rand() * 3)
  const picked = new Set<string>()
  while (picked.size < Math.min(count, topics.length)) {
    picked.add(topics[Math.floor(rand() * topics.length)]!)
  }
  return [...picked]
}

/** The client processes together: one progress view, one check. */
class ClientFleet {
  constructor(readonly processes: readonly ChildRpc<ClientsRequest>[]) {}

  async progress(): Promise<ClientsProgress> {
    const parts = await Promise.all(
      this.processes.map((p) => p.call<ClientsProgress>({ cmd: 'progress' })),
    )
    return {
      positions: parts.flatMap((p) => p.positions),
      reconnects: parts.flatMap((p) => p.reconnects),
      finals: parts.flatMap((p) => p.finals),
    }
  }

  /**
   * Polls until `done` holds for every client, or `ms` passed; returns how many
   * clients it does not hold for (0: done).
   */
  async waitFor(ms: number, done: (p: ClientsProgress, i: number) => boolean): Promise<number> {
    const deadline = performance.now() + ms
    for (;;) {
      const progress = await this.progress()
      const missing = progress.positions.filter((_, i) => !done(progress, i)).length
      if (missing === 0 || performance.now() > deadline) return missing
      await sleep(100)
    }
  }
}

/** Runs one soak on one leg; never throws for a phase timeout (see `report.timeouts`). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now()
  const say = options.log ?? (() => {})
  const rand = seededRandom(options.seed)
  const topics = Array.from({ length: options.topics }, (_, i) => `room:${i}`)
  const specs: ClientSpec[] = Array.from({ length: options.clients }, (_, index) => ({
    index,
    topics: subscription(rand, topics),
  }))
  const timeouts: string[] = []
  const phase = async (
    name: string,
    done: (p: ClientsProgress, i: number) => boolean,
  ): Promise<void> => {
    const missing = await fleet.waitFor(options.phaseTimeoutMs, done)
    if (missing > 0) timeouts.push(`${name}: ${missing} clients after ${options.phaseTimeoutMs} ms`)
  }

  const emitter = createEmitter(soakEvents, {
    history: { maxEvents: options.history, maxAgeMs: 3_600_000 },
    heartbeatMs: options.heartbeatMs,
    retryMs: 50,
  })
  const epoch = parseEventId(emitter.stats().headId)!.epoch
  const leg = legs[options.leg]
  const served = await leg.serve(emitter)
  const children: ChildRpc<unknown>[] = []
  const proxy = ChildRpc.start<ProxyRequest>(
    'test/soak/proxy-process.ts',
    [String(served.port), String(options.seed), JSON.stringify(options.faults ?? {})],
    'chaos proxy',
  )
  children.push(proxy)
  const count = Math.max(1, Math.min(options.clientProcesses, options.clients))
  const fleet = new ClientFleet(
    Array.from({ length: count }, (_, i) =>
      ChildRpc.start<ClientsRequest>('test/soak/clients-process.ts', [], `clients ${i}`),
    ),
  )
  children.push(...fleet.processes)

  try {
    const port = await proxy.ready<number>()
    await Promise.all(fleet.processes.map((p) => p.ready()))
    await Promise.all(
      fleet.processes.map((p, i) =>
        p.call({
          cmd: 'start',
          url: `http://127.0.0.1:${port}/events`,
          epoch,
          idleTimeoutMs: options.idleTimeoutMs,
          options: leg.clientOptions,
          // Contiguous blocks, so the merged progress is in client order.
          clients: specs.slice(
            Math.floor((i * specs.length) / count),
            Math.floor(((i + 1) * specs.length) / count),
          ),
        }),
      ),
    )

    // Every client has a position (the bookmark of its first stream) before the
    // first emit: from then on, every event of its topics is owed to it.
    say(`connecting ${options.clients} clients`)
    await phase('connect', (p, i) => p.positions[i]! >= 0)
    const connectMs = performance.now() - started

    say(`emitting ${options.events} events`)
    const emitStarted = performance.now()
    // Ids as `emit` returns them; awaited at the end, should a store make emit asynchronous.
    const ids: (string | Promise<string>)[] = []
    const routes: (readonly string[] | null)[] = []
    const seqs = new Map<string, number>()
    while (ids.length < options.events) {
      // Mostly small batches, now and then a burst of up to 60 in one tick.
      const batch = 1 + Math.floor(rand() ** 3 * 60)
      for (let i = 0; i < batch && ids.length < options.events; i++) {
        const pick = rand()
        // The last one is a broadcast: every client owes it, so "caught up" means the same for all.
        const last = ids.length === options.events - 1
        const to =
          pick < 0.2 || last
            ? null
            : pick < 0.3
              ? [...new Set([topics[Math.floor(rand() * topics.length)]!, topics[0]!])]
              : [topics[Math.floor(rand() * topics.length)]!]
        const key = to === null ? '*' : [...to].sort().join('+')
        const seq = (seqs.get(key) ?? 0) + 1
        seqs.set(key, seq)
        const payload = { n: ids.length, key, seq, text: text(rand) }
        ids.push(to === null ? emitter.emit('tick', payload) : emitter.to(to).emit('tick', payload))
        routes.push(to)
      }
      // Pauses of nothing (the next turn), a few ms, or a lull: about 500 events/s on average.
      const pause = rand()
      if (pause < 0.3) await new Promise<void>((resolve) => setImmediate(resolve))
      else if (pause < 0.8) await sleep(5 + rand() * 35)
      else await sleep(40 + rand() * 110)
      if (ids.length % 10_000 < batch) say(`  ${ids.length} emitted`)
    }
    const emitMs = performance.now() - emitStarted
    const emittedIds = await Promise.all(ids)

    // Faults go on until every client went through at least one reconnect (the
    // proxy's time cuts see to it); then new connections pass untouched. The final
    // broadcast waits until every client has caught up (its position at or past the
    // last tick, a broadcast), so that its position is in the history: whatever
    // happens to its connection next, a resume reaches the final event.
    say('waiting for every client to have reconnected')
    await phase('reconnect', (p, i) => p.reconnects[i]! > 0)
    await proxy.call({ cmd: 'calm' })
    say('waiting for every client to catch up')
    const lastTick = parseEventId(emittedIds.at(-1) ?? '')?.seq ?? 0
    await phase('catch up', (p, i) => p.positions[i]! >= lastTick)
    emitter.emit('final', { n: emittedIds.length })
    say('waiting for the final event')
    await phase('final', (p, i) => p.finals[i]! > 0)
    // A moment for late duplicates to show up.
    await sleep(200)

    const parts = await Promise.all(
      fleet.processes.map((p) =>
        p.call<ClientRow[]>({ cmd: 'check', ids: emittedIds, topics: routes }, 120_000),
      ),
    )
    const stats = emitter.stats()
    return {
      options,
      rows: parts.flat(),
      proxy: await proxy.call<ChaosStats>({ cmd: 'stats' }),
      server: {
        connectionsOpened: stats.connectionsOpened,
        slowConsumers: stats.slowConsumers,
        eventsDropped: stats.eventsDropped,
        connectionsAtEnd: stats.connections,
      },
      timeouts,
      ms: { connect: connectMs, emit: emitMs, total: performance.now() - started },
    }
  } finally {
    await Promise.all(fleet.processes.map((p) => p.call({ cmd: 'close' }).catch(() => {})))
    await proxy.call({ cmd: 'close' }).catch(() => {})
    await Promise.all(children.map((child) => child.stop()))
    await emitter.close()
    await served.close()
  }
}
