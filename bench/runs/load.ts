/**
 * The readers of `npm run bench:runs` (see index.ts), in their own process: raw
 * HTTP SSE readers, 1 to 3 per run, parsing with the schema's spec parser.
 * Measures token latency (emit to receipt, same machine clock), then after the
 * runs ended, late resumes. Prints one JSON line with the results.
 *
 * Usage: load.ts <kind> <port> <runs> <expectedTokens> <lateResumes>
 */
import http from 'node:http'
import { createParser } from '@tidings/schema'

const [kind, portText, runsText, tokensText, lateText] = process.argv.slice(2)
const port = Number(portText)
const runs = Number(runsText)
const expected = Number(tokensText)
const late = Number(lateText)
const tidings = kind !== 'resumable-stream'
const now = (): number => performance.timeOrigin + performance.now()

/** Samples of latency in ms (one per token received by a live reader). */
let latencies = new Float64Array(1 << 20)
let count = 0
const record = (ms: number): void => {
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2)
    bigger.set(latencies)
    latencies = bigger
  }
  latencies[count++] = ms
}

interface Result {
  tokens: number
  ended: boolean
  status: number
  firstIds: string[]
  lastId: string | undefined
}

function path(run: number, extra = ''): string {
  return tidings ? `/events?topic=run:${run}${extra}` : `/events?run=${run}${extra}`
}

/** Opens one reader; resolves once the server closed its stream. `opened` fires on the status line. */
function read(
  target: string,
  headers: Record<string, string>,
  live: boolean,
  opened?: () => void,
): Promise<Result> {
  return new Promise((resolve) => {
    const result: Result = { tokens: 0, ended: false, status: 0, firstIds: [], lastId: undefined }
    const parser = createParser({
      onEvent: (event) => {
        if (event.id) result.lastId = event.id
        if (event.event === 'token') {
          result.tokens++
          if (result.firstIds.length < 10 && event.id) result.firstIds.push(event.id)
          if (live) record(now() - (JSON.parse(event.data) as { t: number }).t)
        } else if (event.event === 'tidings:end') result.ended = true
      },
    })
    const req = http.get(
      { host: '127.0.0.1', port, path: target, headers, agent: false },
      (res) => {
        result.status = res.statusCode ?? 0
        opened?.()
        res.on('data', (chunk: Buffer) => parser.feed(chunk))
        res.on('end', () => resolve(result))
        res.on('error', () => resolve(result))
      },
    )
    req.on('error', () => resolve(result))
  })
}

async function main(): Promise<void> {
  // 1 to 3 readers per run, spread evenly.
  const readers: Promise<Result>[] = []
  let open = 0
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k <= run % 3; k++) {
      readers.push(read(path(run), { Accept: 'text/event-stream' }, true, () => open++))
    }
  }
  const deadline = Date.now() + 60_000
  while (open < readers.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  process.stdout.write(`OPEN ${readers.length}\n`)
  const results = await Promise.all(readers)
  const complete = results.filter((r) => r.tokens === expected && r.ended).length
  // The server's CPU and memory once every run ended, before the late resumes
  // (which only Tidings serves: counting them would charge it for work the peer declines).
  const live = (await (await fetch(`http://127.0.0.1:${port}/control/stats`)).json()) as Record<
    string,
    number
  >
  const sorted = latencies.subarray(0, count).sort()
  const pct = (p: number) =>
    sorted[Math.min(count - 1, Math.floor((count * p) / 100))] ?? Number.NaN

  // Late resumes, after every run ended: from the 10th token (or from the start
  // where a contender has no ids), each must get the rest and the end, then close.
  const lateStart = performance.now()
  const lates: Promise<Result & { reconnects: number }>[] = []
  for (let i = 0; i < late; i++) {
    const run = i % runs
    const from = results[readerIndex(run)]
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    let extra = '&late=1'
    if (tidings && from?.firstIds.length === 10) headers['Last-Event-ID'] = from.firstIds[9]!
    else if (!tidings) extra += '&skip=0'
    lates.push(follow(path(run, extra), headers))
  }
  const lateResults = await Promise.all(lates)
  // Wall time until the last late reader was closed: what the read amplification costs.
  const lateSeconds = (performance.now() - lateStart) / 1000
  if (process.env.RUNS_DEBUG) {
    const bad = lateResults.filter((r) => !(r.ended && r.tokens >= expected - 10))
    process.stderr.write(
      `late incomplete: ${JSON.stringify(bad.slice(0, 5).map((r) => [r.status, r.tokens, r.ended, r.reconnects]))}\n`,
    )
  }
  process.stdout.write(
    `${JSON.stringify({
      live,
      readers: results.length,
      complete,
      tokensReceived: results.reduce((sum, r) => sum + r.tokens, 0),
      samples: count,
      p50: pct(50),
      p99: pct(99),
      late: {
        requests: lateResults.length,
        complete: lateResults.filter((r) => r.ended && r.tokens >= expected - 10).length,
        reconnects: lateResults.reduce((sum, r) => sum + r.reconnects, 0),
        statuses: countBy(lateResults.map((r) => r.status)),
        seconds: lateSeconds,
      },
    })}\n`,
  )
}

/**
 * A late reader that behaves like an EventSource: when the server closes the
 * stream before the end (it ends a stream whose store read failed, with a
 * `retry:` hint), it reconnects from the last id it has. At most 20 times.
 */
async function follow(
  target: string,
  headers: Record<string, string>,
): Promise<Result & { reconnects: number }> {
  const total: Result & { reconnects: number } = {
    tokens: 0,
    ended: false,
    status: 0,
    firstIds: [],
    lastId: undefined,
    reconnects: 0,
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await read(target, headers, false)
    total.tokens += result.tokens
    total.status = result.status
    total.ended = result.ended
    if (result.lastId) headers = { ...headers, 'Last-Event-ID': result.lastId }
    if (result.ended || result.status !== 200) break
    total.reconnects++
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return total
}

/** The index of the first reader of `run` among the readers opened above. */
function readerIndex(run: number): number {
  let index = 0
  for (let r = 0; r < run; r++) index += (r % 3) + 1
  return index
}

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const value of values) out[value] = (out[value] ?? 0) + 1
  return out
}

void main()
