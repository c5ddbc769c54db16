/**
 * A fault-injecting TCP proxy on 127.0.0.1, for soak tests: it sits between
 * clients and a server and, per connection and by a seeded generator, cuts the
 * connection (often in the middle of an event), stalls it (holds the bytes for
 * a while, pausing the source so the sender sees backpressure), delays bytes,
 * and splits writes at awkward places (inside a UTF-8 character, between `\r`
 * and `\n`, inside an SSE field name). Both directions pass through.
 *
 * What it never does: invent a byte or reorder bytes within a connection. What
 * one side receives is always a prefix of what the other side sent (a cut drops
 * the rest), which `chaos-proxy.test.ts` checks.
 *
 * The seed fixes each connection's plan (the n-th accepted connection gets the
 * n-th generator); exact chunk boundaries and timing still depend on the OS and
 * on load, so a replay reproduces the same fault mix, not the same byte schedule.
 */
import net, { type AddressInfo, type Socket } from 'node:net'
import { seededRandom } from './random.js'

/** How often each fault happens and how hard. Probabilities are per connection. */
export interface ChaosFaults {
  /** Probability that a connection is cut after a number of bytes from the server. */
  readonly cutByBytes: number
  /** The byte offset range (server to client) where such a cut happens. */
  readonly cutBytes: readonly [number, number]
  /**
   * Probability that a connection is cut after a time. With 1, no connection
   * outlives `cutMs[1]` after its first byte from the server while the proxy is not calm.
   */
  readonly cutByTime: number
  /**
   * The range of a time cut, in milliseconds after the first byte from the
   * server: counted from there, not from accept, so that a server slowed down by
   * a loaded machine still gets its answer through, and reconnects cannot
   * spiral into connections that all die before the server wrote anything.
   */
  readonly cutMs: readonly [number, number]
  /** Probability that a connection stalls once (server to client). */
  readonly stall: number
  /** The byte offset range where the stall begins. */
  readonly stallAtBytes: readonly [number, number]
  /** How long a stall holds the bytes. */
  readonly stallMs: readonly [number, number]
  /** Probability that every chunk of a connection is delayed (in order). */
  readonly delay: number
  /** The largest delay of one chunk. */
  readonly delayMs: number
  /** Probability that a connection's writes are split at awkward places. */
  readonly split: number
}

/** The defaults: most connections get several faults, none lives longer than 3 s. */
export const DEFAULT_FAULTS: ChaosFaults = {
  cutByBytes: 0.5,
  cutBytes: [0, 400_000],
  cutByTime: 1,
  cutMs: [200, 3000],
  stall: 0.3,
  stallAtBytes: [0, 20_000],
  stallMs: [50, 2500],
  delay: 0.3,
  delayMs: 15,
  split: 0.6,
}

/** What was decided for one connection when it was accepted. */
export interface ConnectionPlan {
  readonly index: number
  /** Accepted after `calm()`: no faults. */
  readonly calm: boolean
  readonly cutAtByte: number | undefined
  readonly cutAtMs: number | undefined
  /** `reset` sends an RST; `end` a FIN (the client sees a truncated body). */
  readonly cutKind: 'reset' | 'end'
  readonly stallAtByte: number | undefined
  readonly stallMs: number
  readonly delayMs: number
  readonly split: boolean
}

/** Where the proxy split writes, by kind. */
export interface SplitCounts {
  utf8: number
  crlf: number
  fieldName: number
  blankLine: number
  other: number
}

export interface ChaosStats {
  connections: number
  open: number
  /** Open connections accepted before `calm()`, which may still fail. */
  openWithFaults: number
  cutsByBytes: number
  cutsByTime: number
  stalls: number
  delayedChunks: number
  splits: SplitCounts
  bytesDown: number
  bytesUp: number
}

export interface ChaosProxy {
  readonly port: number
  readonly seed: number
  /** Counters so far (a copy). */
  stats(): ChaosStats
  /**
   * From now on, new connections pass through untouched (connections already
   * open keep their plan, so they still end within `cutMs` of their first byte).
   */
  calm(): void
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

export interface ChaosProxyOptions {
  /** Where to forward, on 127.0.0.1. */
  readonly targetPort: number
  readonly seed: number
  readonly faults?: Partial<ChaosFaults> | undefined
}

// Above this many bytes queued in the proxy for one direction, the source is
// paused: a stalled connection then backs up into the sender's socket, as a
// stalled network path would.
const HIGH_WATER = 64 * 1024

const FIELD_NAMES = ['\ndata:', '\nevent:', '\nid:', '\nretry:'].map((s) => Buffer.from(s))
const NEWLINE = 0x0a
const RETURN = 0x0d

const between = (rand: () => number, [min, max]: readonly [number, number]): number =>
  Math.floor(min + rand() * (max - min + 1))

/** Mixes the seed with the connection index, so each connection has its own stream. */
const connectionSeed = (seed: number, index: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0

function planFor(
  index: number,
  rand: () => number,
  faults: ChaosFaults,
  calm: boolean,
): ConnectionPlan {
  // Every draw happens even when calm, so a connection's generator is in the
  // same state whatever the mode.
  const cutAtByte = rand() < faults.cutByBytes ? between(rand, faults.cutBytes) : undefined
  const cutAtMs = rand() < faults.cutByTime ? between(rand, faults.cutMs) : undefined
  const cutKind = rand() < 0.5 ? 'reset' : 'end'
  const stallAtByte = rand() < faults.stall ? between(rand, faults.stallAtBytes) : undefined
  const stallMs = between(rand, faults.stallMs)
  const delayMs = rand() < faults.delay ? faults.delayMs : 0
  const split = rand() < faults.split
  if (calm) {
    return {
      index,
      calm,
      cutAtByte: undefined,
      cutAtMs: undefined,
      cutKind,
      stallAtByte: undefined,
      stallMs: 0,
      delayMs: 0,
      split: false,
    }
  }
  return { index, calm, cutAtByte, cutAtMs, cutKind, stallAtByte, stallMs, delayMs, split }
}

type SplitKind = keyof SplitCounts

/** Positions in `chunk` (1..length-1) where a split is awkward for a parser, with their kind. */
function awkwardPositions(chunk: Buffer): { at: number; kind: SplitKind }[] {
  const out: { at: number; kind: SplitKind }[] = []
  for (let i = 1; i < chunk.length; i++) {
    const byte = chunk[i]!
    // A continuation byte: splitting before it cuts a multi-byte character.
    if ((byte & 0xc0) === 0x80 && chunk[i - 1]! >= 0x80) out.push({ at: i, kind: 'utf8' })
    else if (byte === NEWLINE && chunk[i - 1] === RETURN) out.push({ at: i, kind: 'crlf' })
    else if (byte === NEWLINE && chunk[i - 1] === NEWLINE) out.push({ at: i, kind: 'blankLine' })
  }
  for (const name of FIELD_NAMES) {
    for (let at = chunk.indexOf(name); at !== -1; at = chunk.indexOf(name, at + 1)) {
      // Inside the name: after the newline and at least one letter, before the colon.
      for (let k = 2; k < name.length - 1; k++) {
        if (at + k < chunk.length) out.push({ at: at + k, kind: 'fieldName' })
      }
    }
  }
  return out
}

/** One direction of a connection: an ordered queue, pumped one chunk at a time. */
class Pipe {
  readonly #queue: Buffer[] = []
  #queued = 0
  #pumping = false
  /** Bytes written to the destination so far. */
  offset = 0
  #stalled = false
  #ended = false

  constructor(
    readonly source: Socket,
    readonly destination: Socket,
    readonly link: Link,
    readonly down: boolean,
  ) {
    source.on('data', (chunk: Buffer) => {
      if (link.done) return
      this.#queue.push(chunk)
      this.#queued += chunk.length
      if (this.#queued > HIGH_WATER) source.pause()
      void this.#pump()
    })
    // A clean end is passed on in order, once everything before it is written.
    source.on('end', () => {
      this.#ended = true
      void this.#pump()
    })
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#queue.length > 0 && !this.link.done) {
        const chunk = this.#queue.shift()!
        this.#queued -= chunk.length
        await this.#forward(chunk)
        if (this.#queued <= HIGH_WATER / 2 && this.source.isPaused() && !this.link.done) {
          this.source.resume()
        }
      }
      if (this.#ended && this.#queue.length === 0 && !this.link.done) this.destination.end()
    } finally {
      this.#pumping = false
    }
  }

  async #forward(chunk: Buffer): Promise<void> {
    const { link, down } = this
    const { plan, rand } = link
    if (plan.delayMs > 0) {
      link.proxy.counters.delayedChunks++
      await sleep(rand() * plan.delayMs)
    }
    let pieces = [chunk]
    if (plan.split) pieces = this.#split(chunk)
    for (const piece of pieces) {
      if (link.done) return
      let bytes = piece
      if (down && plan.stallAtByte !== undefined && !this.#stalled) {
        if (this.offset + bytes.length > plan.stallAtByte) {
          // Send up to the stall point, then hold the rest.
          const head = bytes.subarray(0, Math.max(0, plan.stallAtByte - this.offset))
          if (head.length > 0) await this.#write(head)
          bytes = bytes.subarray(head.length)
          this.#stalled = true
          link.proxy.counters.stalls++
          await sleep(plan.stallMs)
          if (link.done) return
        }
      }
      if (down && plan.cutAtByte !== undefined && this.offset + bytes.length > plan.cutAtByte) {
        const head = bytes.subarray(0, Math.max(0, plan.cutAtByte - this.offset))
        if (head.length > 0) await this.#write(head)
        link.proxy.counters.cutsByBytes++
        link.cut()
        return
      }
      await this.#write(bytes)
      // A macrotask between pieces, so the receiver tends to read them separately.
      if (pieces.length > 1) await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }

  #split(chunk: Buffer): Buffer[] {
    const { rand, proxy } = this.link
    const candidates = awkwardPositions(chunk)
    const count = 1 + Math.floor(rand() * 3)
    const cuts = new Map<number, SplitKind>()
    for (let i = 0; i < count; i++) {
      if (candidates.length > 0 && rand() < 0.85) {
        const pick = candidates[Math.floor(rand() * candidates.length)]!
        cuts.set(pick.at, pick.kind)
      } else if (chunk.length > 1) {
        cuts.set(1 + Math.floor(rand() * (chunk.length - 1)), 'other')
      }
    }
    if (cuts.size === 0) return [chunk]
    const points = [...cuts.keys()].sort((a, b) => a - b)
    for (const at of points) proxy.counters.splits[cuts.get(at)!]++
    const pieces: Buffer[] = []
    let from = 0
    for (const at of points) {
      pieces.push(chunk.subarray(from, at))
      from = at
    }
    pieces.push(chunk.subarray(from))
    return pieces
  }

  #write(bytes: Buffer): Promise<void> {
    const { destination, link } = this
    if (link.done || destination.destroyed) return Promise.resolve()
    this.offset += bytes.length
    if (this.down) {
      link.proxy.counters.bytesDown += bytes.length
      link.started()
    } else link.proxy.counters.bytesUp += bytes.length
    if (destination.write(bytes)) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        destination.off('drain', done)
        destination.off('close', done)
        resolve()
      }
      destination.on('drain', done)
      destination.on('close', done)
    })
  }
}

interface ProxyState {
  readonly counters: ChaosStats
}

/** One proxied connection: the client socket, the server socket, and its plan. */
class Link {
  done = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    readonly client: Socket,
    readonly server: Socket,
    readonly plan: ConnectionPlan,
    readonly rand: () => number,
    readonly proxy: ProxyState,
    readonly onClose: () => void,
  ) {
    const end = (): void => this.close()
    for (const socket of [client, server]) {
      socket.setNoDelay(true)
      socket.on('error', end)
      socket.on('close', end)
    }
    new Pipe(client, server, this, false)
    new Pipe(server, client, this, true)
  }

  /** The first byte from the server passed: a time cut counts from now. */
  started(): void {
    const { cutAtMs } = this.plan
    if (cutAtMs === undefined || this.#timer !== undefined || this.done) return
    this.#timer = setTimeout(() => {
      if (this.done) return
      this.proxy.counters.cutsByTime++
      this.cut()
    }, cutAtMs)
  }

  /** Cuts both sides: an RST or a FIN to the client (by plan), and the server socket torn down. */
  cut(): void {
    if (this.done) return
    if (this.plan.cutKind === 'reset' && !this.client.destroyed) this.client.resetAndDestroy()
    else this.client.destroy()
    this.server.destroy()
    this.close()
  }

  close(): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.#timer)
    this.client.destroy()
    this.server.destroy()
    this.onClose()
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

/**
 * Starts a chaos proxy on 127.0.0.1 (a free port) forwarding to `targetPort`.
 *
 * @example
 * const proxy = await startChaosProxy({ targetPort: served.port, seed: 7 })
 * createClient(events, `http://127.0.0.1:${proxy.port}/events`)
 * // ...
 * proxy.calm()       // new connections pass untouched
 * await proxy.close()
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const faults: ChaosFaults = { ...DEFAULT_FAULTS, ...options.faults }
  const counters: ChaosStats = {
    connections: 0,
    open: 0,
    openWithFaults: 0,
    cutsByBytes: 0,
    cutsByTime: 0,
    stalls: 0,
    delayedChunks: 0,
    splits: { utf8: 0, crlf: 0, fieldName: 0, blankLine: 0, other: 0 },
    bytesDown: 0,
    bytesUp: 0,
  }
  const links = new Set<Link>()
  let calm = false
  // Half-open sockets, so that an end travels through the queue like any byte.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const index = counters.connections++
    counters.open++
    const rand = seededRandom(connectionSeed(options.seed, index))
    const plan = planFor(index, rand, faults, calm)
    if (!plan.calm) counters.openWithFaults++
    // Hold what the client sends until the upstream socket exists: the pipe reads it then.
    client.pause()
    const upstream = net.connect({
      port: options.targetPort,
      host: '127.0.0.1',
      allowHalfOpen: true,
    })
    const link = new Link(client, upstream, plan, rand, { counters }, () => {
      counters.open--
      if (!plan.calm) counters.openWithFaults--
      links.delete(link)
    })
    links.add(link)
    upstream.once('connect', () => client.resume())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    port,
    seed: options.seed,
    stats: () => ({ ...counters, splits: { ...counters.splits } }),
    calm: () => {
      calm = true
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const link of links) link.close()
        server.close(() => resolve())
      }),
  }
}
