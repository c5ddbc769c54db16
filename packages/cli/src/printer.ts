import { createColors } from 'picocolors'
import type { TailRecord } from './records.js'

/** Where the command writes, and how. */
export interface PrinterOptions {
  /** One JSON object per line instead of readable lines. */
  readonly json: boolean
  /** ANSI colours (readable lines only). */
  readonly color: boolean
  /** Events (and, with `json`, every record). */
  readonly out: (line: string) => void
  /** Everything else, in readable mode: the connection's story stays off a pipe. */
  readonly err: (line: string) => void
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

/** Local wall-clock time with milliseconds: what someone watching a stream compares with their logs. */
const clock = (at: Date): string =>
  `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`

/** Seconds with one decimal: `15.0 s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

// One record, one line: data with line breaks (or other control characters) is
// shown JSON-escaped, so a multi-line payload cannot pass for several events.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this detects
const CONTROL = /[\u0000-\u001f\u007f]/
const oneLine = (text: string): string => (CONTROL.test(text) ? JSON.stringify(text) : text)

/**
 * Prints {@link TailRecord}s: as JSON lines (`--json`), or as readable lines,
 * coloured when `color` is on. Events go to `out`; in readable mode the rest goes
 * to `err`, so `tidings tail ... | grep` filters events and still shows reconnects.
 */
export function createPrinter(options: PrinterOptions): (record: TailRecord, at?: Date) => void {
  const c = createColors(options.color)
  const tag = (name: string, paint: (text: string) => string = c.dim): string => paint(`[${name}]`)

  const describe = (record: TailRecord): string => {
    switch (record.type) {
      case 'connecting':
        return `${tag('connecting')} ${record.url}${
          record.lastEventId === undefined ? '' : c.dim(` Last-Event-ID: ${record.lastEventId}`)
        }`
      case 'open':
        return `${tag('open', c.green)} ${record.transport}, HTTP ${record.status}, ${record.contentType}`
      case 'hello':
        return `${tag('hello', c.green)} Tidings stream, heartbeat every ${seconds(record.heartbeatMs)}`
      case 'heartbeat': {
        const late = record.heartbeatMs !== undefined && record.sinceLastByteMs > record.heartbeatMs
        const lag = `${seconds(record.sinceLastByteMs)} since the last byte`
        const announced =
          record.heartbeatMs === undefined
            ? ''
            : ` (announced every ${seconds(record.heartbeatMs)})`
        return `${tag('heartbeat')} ${late ? c.yellow(lag) : c.dim(lag)}${c.dim(announced)}`
      }
      case 'comment':
        return `${tag('comment')} ${c.dim(oneLine(record.text))}`
      case 'silent':
        return `${tag('silent', c.yellow)} ${c.yellow(
          `no data for ${seconds(record.sinceLastByteMs)}; heartbeat announced every ${seconds(record.heartbeatMs)}`,
        )}`
      case 'duplicate':
        return `${tag('duplicate')} ${c.dim(`${record.event} ${record.id} (repeated by the replay, skipped)`)}`
      case 'transport':
        return `${tag('transport', c.yellow)} ${c.yellow(`now ${record.transport} (${record.reason})`)}`
      case 'gap':
        return `${tag('gap', c.red)} ${c.red(
          `${record.reason}: events after ${record.lastEventId || '(none)'} may have been missed`,
        )}`
      case 'reconnecting':
        return `${tag('reconnecting', c.yellow)} attempt ${record.attempt} in ${seconds(record.delayMs)}${
          record.reason === undefined ? '' : c.dim(`: ${record.reason}`)
        }`
      case 'error':
        return `${tag('error', c.red)} ${c.red(record.message)}`
      case 'closed':
        return `${tag('closed', record.error === undefined ? c.dim : c.red)} ${record.reason}${
          record.error === undefined ? '' : c.red(`: ${record.error}`)
        }`
      case 'event': {
        const marks =
          record.known === false
            ? ` ${tag('not in contract', c.yellow)}`
            : record.valid === false
              ? ` ${tag('invalid', c.red)} ${c.red(record.issues?.join('; ') ?? '')}`
              : ''
        return `${c.bold(c.cyan(record.event))}  ${c.dim(record.id ?? '-')}  ${oneLine(record.data)}${marks}`
      }
    }
  }

  return (record, at = new Date()) => {
    if (options.json) {
      options.out(JSON.stringify({ time: at.toISOString(), ...record }))
      return
    }
    const line = `${c.gray(clock(at))}  ${describe(record)}`
    if (record.type === 'event') options.out(line)
    else options.err(line)
  }
}
