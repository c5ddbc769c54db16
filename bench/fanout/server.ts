/**
 * The server process: one contender on a plain Node `http` server bound to 127.0.0.1 (port chosen
 * by the kernel), driven over IPC by the orchestrator. Emits either as fast as it can, in bursts of
 * `burst` events per `setImmediate` turn, or at a fixed rate; measures its own CPU and memory.
 */
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { announceReady, serveParent } from '../../test/support/child-rpc.js'
import { collectedMemory } from '../support/memory.js'
import { createContender } from './contenders.js'
import {
  ALL_CONTENDERS,
  type ContenderName,
  MESSAGE_TEXT,
  nowMicros,
  type ServerMark,
  type ServerReady,
  type ServerRequest,
  type TickPayload,
} from './protocol.js'

const name = process.argv[2] as ContenderName
if (!ALL_CONTENDERS.includes(name)) throw new Error(`unknown contender ${String(name)}`)

const server = createServer()
server.keepAliveTimeout = 0
const sockets = new Set<Socket>()
server.on('connection', (socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})
const contender = await createContender(name, server)

let seq = 0
function emitOne(): void {
  seq += 1
  const payload: TickPayload = { t: nowMicros(), seq, msg: MESSAGE_TEXT }
  contender.emit(payload)
}

/** Bytes queued in user space on every socket: the gate that keeps full rate from outrunning the clients. */
function pendingBytes(): number {
  let total = 0
  for (const socket of sockets) total += socket.writableLength
  return total
}

const full = { running: false, emitted: 0, teamEmitted: 0, bursts: 0, gated: 0 }

/** Emits a broker has not acknowledged yet, past which full rate waits (Redis contenders). */
const MAX_BACKLOG = 1000

/**
 * Emits `burst` events per turn of the event loop: from one callback, or (`split`) each from its
 * own `setImmediate` callback, as events caused by separate I/O callbacks would be.
 */
function fullRate(burst: number, split: boolean, maxPendingBytes: number): void {
  const loop = (): void => {
    if (!full.running) return
    if (pendingBytes() > maxPendingBytes || (contender.backlog?.() ?? 0) > MAX_BACKLOG) {
      full.gated += 1
    } else {
      if (split) for (let i = 0; i < burst; i++) setImmediate(emitOne)
      else for (let i = 0; i < burst; i++) emitOne()
      full.emitted += burst
      full.bursts += 1
    }
    setImmediate(loop)
  }
  setImmediate(loop)
}

/**
 * The per-user scenario at full rate: `burst` `tick` events per turn, each to a random
 * `user:<k>`, and `teamRate` `team` events per second. The gate is read every 16 turns, not every
 * turn: summing `writableLength` over 5000 sockets costs more than the 10 single-connection writes
 * of a turn and would blur the comparison.
 */
function usersRate(users: number, burst: number, teamRate: number, maxPendingBytes: number): void {
  const rooms = Array.from({ length: users }, (_, k) => `user:${k}`)
  // xorshift32 with a fixed seed: every contender gets the same sequence of users.
  let state = 0x9e3779b9
  const nextUser = (): string => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return rooms[(state >>> 0) % users]!
  }
  const started = performance.now()
  let turn = 0
  let gated = false
  const loop = (): void => {
    if (!full.running) return
    if (turn++ % 16 === 0) gated = pendingBytes() > maxPendingBytes
    if (gated) {
      full.gated += 1
    } else {
      for (let i = 0; i < burst; i++) {
        seq += 1
        contender.emitTo!(nextUser(), { t: nowMicros(), seq, msg: MESSAGE_TEXT })
      }
      full.emitted += burst
      full.bursts += 1
    }
    const dueTeam = Math.floor(((performance.now() - started) / 1000) * teamRate)
    while (full.teamEmitted < dueTeam) {
      full.teamEmitted += 1
      contender.emitTo!('team', { team: full.teamEmitted, msg: MESSAGE_TEXT })
    }
    setImmediate(loop)
  }
  setImmediate(loop)
}

async function paced(rate: number, durationMs: number): Promise<number> {
  const interval = 1000 / rate
  const count = Math.round((durationMs / 1000) * rate)
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const due = start + i * interval
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    emitOne()
  }
  return count
}

serveParent<ServerRequest>(async (request) => {
  switch (request.cmd) {
    case 'subscribers':
      return contender.subscribers()
    case 'full-start':
      Object.assign(full, { running: true, emitted: 0, teamEmitted: 0, bursts: 0, gated: 0 })
      fullRate(request.burst, request.split, request.maxPendingBytes)
      return null
    case 'users-start':
      if (!contender.emitTo) throw new Error(`${name} has no topics or rooms`)
      Object.assign(full, { running: true, emitted: 0, teamEmitted: 0, bursts: 0, gated: 0 })
      usersRate(request.users, request.burst, request.teamRate, request.maxPendingBytes)
      return null
    case 'mark':
      return {
        cpu: process.cpuUsage(),
        emitted: full.emitted,
        teamEmitted: full.teamEmitted,
        bursts: full.bursts,
        gated: full.gated,
        atMicros: nowMicros(),
      } satisfies ServerMark
    case 'full-stop':
      full.running = false
      return full.emitted
    case 'paced':
      return paced(request.rate, request.durationMs)
    case 'memory':
      return collectedMemory()
    case 'stats':
      return contender.stats()
  }
})

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  announceReady({ port, path: contender.path, wire: contender.wire } satisfies ServerReady)
})
