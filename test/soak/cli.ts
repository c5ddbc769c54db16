/**
 * `npm run soak -- [--leg node,fetch,websocket] [--seed N] [--clients N] [--client-processes N] [--events N]
 * [--topics N] [--history N] [--heartbeat MS] [--idle-timeout MS] [--phase-timeout MS] [--all]`
 *
 * The long soak: the same run as the short one in `npm test`, with larger
 * numbers, printing the same table per leg. Every flag also reads an environment
 * variable (`SOAK_SEED`, `SOAK_CLIENTS`, ...). Exits 1 when a check fails.
 */
import { parseArgs } from 'node:util'
import { LEGS, type LegName } from './legs.js'
import { clientPassed, formatReport } from './report.js'
import { runSoak, SHORT } from './soak.js'

const { values } = parseArgs({
  options: {
    leg: { type: 'string' },
    seed: { type: 'string' },
    clients: { type: 'string' },
    'client-processes': { type: 'string' },
    events: { type: 'string' },
    topics: { type: 'string' },
    history: { type: 'string' },
    heartbeat: { type: 'string' },
    'idle-timeout': { type: 'string' },
    'phase-timeout': { type: 'string' },
    all: { type: 'boolean' },
  },
})

function int(flag: keyof typeof values, env: string, fallback: number): number {
  const raw = (values[flag] as string | undefined) ?? process.env[env]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`--${flag} (or ${env}) must be a non-negative integer: got ${raw}`)
  }
  return value
}

const legNames = (values.leg ?? process.env.SOAK_LEG ?? LEGS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
for (const name of legNames) {
  if (!(LEGS as readonly string[]).includes(name)) {
    throw new Error(`--leg: unknown leg "${name}" (one of ${LEGS.join(', ')})`)
  }
}
const events = int('events', 'SOAK_EVENTS', SHORT.events)
const clients = Math.max(1, int('clients', 'SOAK_CLIENTS', SHORT.clients))
const base = {
  seed: int('seed', 'SOAK_SEED', Math.floor(Math.random() * 2 ** 31)),
  clients,
  // About 250 clients per process keeps each client process's loop responsive.
  clientProcesses: Math.max(
    1,
    int('client-processes', 'SOAK_CLIENT_PROCESSES', Math.ceil(clients / 250)),
  ),
  events,
  topics: Math.max(1, int('topics', 'SOAK_TOPICS', SHORT.topics)),
  // About 3 s of events at the soak's rate, as in the short run: clients away longer get gaps.
  history: Math.max(1, int('history', 'SOAK_HISTORY', SHORT.history)),
  heartbeatMs: Math.max(1, int('heartbeat', 'SOAK_HEARTBEAT_MS', SHORT.heartbeatMs)),
  idleTimeoutMs: int('idle-timeout', 'SOAK_IDLE_TIMEOUT_MS', SHORT.idleTimeoutMs),
  phaseTimeoutMs: int('phase-timeout', 'SOAK_PHASE_TIMEOUT_MS', 300_000),
}

let failed = false
for (const leg of legNames as LegName[]) {
  const started = performance.now()
  const report = await runSoak({
    ...base,
    leg,
    log: (line) =>
      console.log(`[${leg} ${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`),
  })
  console.log(`\n${formatReport(report, values.all === true)}\n`)
  if (report.timeouts.length > 0 || !report.rows.every(clientPassed)) failed = true
}
process.exitCode = failed ? 1 : 0
