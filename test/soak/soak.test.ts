import { describe, expect, it } from 'vitest'
import { LEGS } from './legs.js'
import { formatReport, replayCommand } from './report.js'
import { runSoak, SHORT } from './soak.js'

// A fresh seed each run covers more ground over time; it is printed with the
// table and in every assertion, and `SOAK_SEED=<n>` (or the replay command) repeats it.
const seed = process.env.SOAK_SEED
  ? Number(process.env.SOAK_SEED)
  : Math.floor(Math.random() * 2 ** 31)

describe.each(LEGS)('chaos soak, %s handler (short)', (leg) => {
  it('every client gets each event of its topics once and in order, or a gap that covers it', async () => {
    const report = await runSoak({ ...SHORT, leg, seed })
    console.log(formatReport(report))
    const replay = replayCommand(report)
    const total = (pick: (row: (typeof report.rows)[number]) => number) =>
      report.rows.reduce((sum, row) => sum + pick(row), 0)

    expect({ replay, timeouts: report.timeouts }).toEqual({ replay, timeouts: [] })
    expect({
      replay,
      duplicates: total((r) => r.duplicates),
      reordered: total((r) => r.reordered),
      lost: total((r) => r.lost),
      unexpected: total((r) => r.unexpected),
    }).toEqual({ replay, duplicates: 0, reordered: 0, lost: 0, unexpected: 0 })
    expect({
      replay,
      neverReconnected: report.rows.filter((r) => r.reconnects === 0).map((r) => r.index),
      finalNotOnce: report.rows.filter((r) => r.finals !== 1).map((r) => r.index),
    }).toEqual({ replay, neverReconnected: [], finalNotOnce: [] })
    // Corrupted bytes would surface as payloads that fail to parse or validate.
    const corrupt = report.rows.flatMap((r) =>
      Object.keys(r.errors).filter((key) => /Validation|Parse/.test(key)),
    )
    expect({ replay, corrupt }).toEqual({ replay, corrupt: [] })
    // The run must have exercised what it claims to.
    expect(report.rows.length).toBe(SHORT.clients)
    expect(total((r) => r.sent)).toBeGreaterThan(0)
    expect(report.proxy.cutsByBytes + report.proxy.cutsByTime).toBeGreaterThan(0)
  }, 360_000)
})
