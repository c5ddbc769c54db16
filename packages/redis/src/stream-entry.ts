import { END_EVENT } from '@tidings/schema'
import type { NewEvent, StoredEvent } from '@tidings/server'

/** A stream entry as Redis returns it: `[id, [field, value, field, value...]]`. */
export type RawEntry = [id: string, fields: string[]]

/** One event of the stream with the epoch it was appended under. */
export interface EpochEvent extends StoredEvent {
  readonly epoch: string
}

/** The fields of a new entry (after the id): the epoch is added by the append script. */
export function entryArgs(event: NewEvent): [string, string, string, string] {
  // Topics are [A-Za-z0-9_.:-]: a comma cannot occur in one.
  return [event.event, event.data, event.topics?.join(',') ?? '', String(event.at)]
}

/** Reads an entry back; `undefined` for one this package did not write. */
export function parseEntry([id, fields]: RawEntry): EpochEvent | undefined {
  const dash = id.indexOf('-')
  const seq = Number(dash === -1 ? id : id.slice(0, dash))
  let epoch: string | undefined
  let event: string | undefined
  let data: string | undefined
  let topics: string[] | undefined
  let at = 0
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!
    switch (fields[i]) {
      case 'e':
        epoch = value
        break
      case 'n':
        event = value
        break
      case 'd':
        data = value
        break
      case 't':
        topics = value.split(',')
        break
      case 'a':
        at = Number(value)
        break
    }
  }
  if (epoch === undefined || event === undefined || data === undefined) return undefined
  if (!Number.isSafeInteger(seq)) return undefined
  return { epoch, seq, event, data, topics, at }
}

/**
 * The end event a topic's end marker holds (`<epoch> <seq> <time> <data>`, as
 * the append script writes it); `undefined` for none or one it did not write.
 */
export function parseMarker(marker: unknown, topic: string): EpochEvent | undefined {
  if (typeof marker !== 'string') return undefined
  const a = marker.indexOf(' ')
  const b = marker.indexOf(' ', a + 1)
  const c = marker.indexOf(' ', b + 1)
  if (a < 1 || b < 0 || c < 0) return undefined
  const seq = Number(marker.slice(a + 1, b))
  const at = Number(marker.slice(b + 1, c))
  if (!Number.isSafeInteger(seq) || !Number.isFinite(at)) return undefined
  return {
    epoch: marker.slice(0, a),
    seq,
    event: END_EVENT,
    data: marker.slice(c + 1),
    topics: [topic],
    at,
  }
}
