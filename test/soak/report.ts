/**
 * The soak's printed table: one row per kind of subscription (broadcast-only,
 * 1, 2 or 3 topics) and a total, then every client that failed a check, and
 * the command that replays the run.
 */
import type { ClientRow } from './checker.js'
import type { SoakReport } from './soak.js'

/** Whether a client passed every check the soak asserts. */
export function clientPassed(row: ClientRow): boolean {
  return (
    row.duplicates === 0 &&
    row.reordered === 0 &&
    row.lost === 0 &&
    row.unexpected === 0 &&
    row.reconnects > 0 &&
    row.finals === 1
  )
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const sum = (rows: readonly ClientRow[], pick: (row: ClientRow) => number): number =>
  rows.reduce((total, row) => total + pick(row), 0)

function summary(label: string, rows: readonly ClientRow[]): string[] {
  const reconnects = rows.map((r) => r.reconnects)
  return [
    label,
    String(rows.length),
    String(sum(rows, (r) => r.sent)),
    String(sum(rows, (r) => r.received)),
    String(sum(rows, (r) => r.duplicates)),
    String(sum(rows, (r) => r.lost)),
    String(sum(rows, (r) => r.covered)),
    String(sum(rows, (r) => r.reordered)),
    String(sum(rows, (r) => r.unexpected)),
    String(sum(rows, (r) => r.gaps)),
    rows.length === 0
      ? '-'
      : `${Math.min(...reconnects)}/${(sum(rows, (r) => r.reconnects) / rows.length).toFixed(1)}/${Math.max(...reconnects)}`,
    `${rows.filter((r) => r.finals === 1).length}/${rows.length}`,
  ]
}

const HEADER = [
  'clients',
  'n',
  'sent',
  'received',
  'dup',
  'lost',
  'covered',
  'reordered',
  'unexpected',
  'gaps',
  'reconnects min/avg/max',
  'final',
]

const CLIENT_HEADER = [...HEADER, 'state', 'pending fetch']

function perClient(row: ClientRow): string[] {
  return [
    `#${row.index} [${row.topics.join(' ')}]`,
    '1',
    String(row.sent),
    String(row.received),
    String(row.duplicates),
    String(row.lost),
    String(row.covered),
    String(row.reordered),
    String(row.unexpected),
    String(row.gaps),
    String(row.reconnects),
    String(row.finals),
    row.state ?? '-',
    String(row.pendingFetches ?? '-'),
  ]
}

/** The command that replays a run with the same seed and sizes. */
export function replayCommand(report: SoakReport): string {
  const o = report.options
  return `npm run soak -- --leg ${o.leg} --seed ${o.seed} --clients ${o.clients} --client-processes ${o.clientProcesses} --events ${o.events} --history ${o.history}`
}

/** The whole report as text. `all` lists every client, not only the failing ones. */
export function formatReport(report: SoakReport, all = false): string {
  const { options, rows, proxy, server } = report
  const kinds = [0, 1, 2, 3]
    .map((k) => ({
      label: k === 0 ? 'broadcast-only' : `${k} topic${k === 1 ? '' : 's'}`,
      rows: rows.filter((r) => r.topics.length === k),
    }))
    .filter((kind) => kind.rows.length > 0)
  const failed = rows.filter((r) => !clientPassed(r))
  const tally = (pick: (row: ClientRow) => Readonly<Record<string, number>>) => {
    const out = new Map<string, number>()
    for (const row of rows) {
      for (const [key, count] of Object.entries(pick(row)))
        out.set(key, (out.get(key) ?? 0) + count)
    }
    return out.size === 0 ? 'none' : [...out].map(([k, v]) => `${k} ${v}`).join(', ')
  }
  const listed = all ? rows : failed.slice(0, 30)
  const lines = [
    `soak ${options.leg} handler: seed ${options.seed}, ${options.clients} clients in ${options.clientProcesses} process(es), ${options.events} events on ${options.topics} topics, history ${options.history}, heartbeat ${options.heartbeatMs} ms, idle timeout ${options.idleTimeoutMs} ms`,
    `replay: ${replayCommand(report)}`,
    `time: connect ${Math.round(report.ms.connect)} ms, emit ${Math.round(report.ms.emit)} ms, total ${Math.round(report.ms.total)} ms`,
    `proxy: ${proxy.connections} connections; cuts ${proxy.cutsByBytes} by bytes, ${proxy.cutsByTime} by time; ${proxy.stalls} stalls; ${proxy.delayedChunks} delayed chunks; splits utf8 ${proxy.splits.utf8}, crlf ${proxy.splits.crlf}, field name ${proxy.splits.fieldName}, blank line ${proxy.splits.blankLine}, other ${proxy.splits.other}; ${(proxy.bytesDown / 1e6).toFixed(1)} MB down`,
    `server: ${server.connectionsOpened} streams opened, ${server.slowConsumers} slow consumers cut off (${server.eventsDropped} queued events dropped), ${server.connectionsAtEnd} open at the end`,
    `client errors: ${tally((r) => r.errors)}; gaps by reason: ${tally((r) => r.gapReasons)}`,
    '',
    table(HEADER, [...kinds.map((kind) => summary(kind.label, kind.rows)), summary('all', rows)]),
  ]
  if (listed.length > 0) {
    lines.push(
      '',
      all ? 'every client:' : `failing clients (${failed.length}; first 30):`,
      table(CLIENT_HEADER, listed.map(perClient)),
    )
  }
  if (report.timeouts.length > 0) lines.push('', `timed out: ${report.timeouts.join('; ')}`)
  lines.push(
    '',
    failed.length === 0 && report.timeouts.length === 0
      ? 'PASS: 0 duplicates, 0 reordered, 0 lost outside signalled gaps, every client reconnected and got the final event'
      : `FAIL: ${failed.length} clients failed a check`,
  )
  return lines.join('\n')
}
