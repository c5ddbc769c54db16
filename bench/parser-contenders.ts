/**
 * The parsers `bench/parser.ts` compares, each wrapped the same way: fed the
 * 16 KiB `Uint8Array` chunks of a workload, including UTF-8 decoding, counting
 * the events and touching each event's data so nothing is optimised away.
 */
import { getLines, getMessages } from '@microsoft/fetch-event-source/lib/cjs/parse.js'
import { createParser } from '@tidings/schema'
import { createParser as createEsParser } from 'eventsource-parser'

/** The outcome of one pass over a workload. */
export interface RunResult {
  events: number
  checksum: number
}

export interface Contender {
  readonly name: string
  run(chunks: readonly Uint8Array[]): RunResult
}

export const tidings: Contender = {
  name: 'tidings',
  run(chunks) {
    const result = { events: 0, checksum: 0 }
    const parser = createParser({
      onEvent(event) {
        result.events++
        result.checksum += event.data.length
      },
    })
    for (const chunk of chunks) parser.feed(chunk)
    return result
  },
}

export const eventsourceParser: Contender = {
  name: 'eventsource-parser',
  run(chunks) {
    const result = { events: 0, checksum: 0 }
    const decoder = new TextDecoder()
    const parser = createEsParser({
      onEvent(event) {
        result.events++
        result.checksum += event.data.length
      },
    })
    for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }))
    return result
  },
}

export const fetchEventSource: Contender = {
  name: 'fetch-event-source',
  run(chunks) {
    const result = { events: 0, checksum: 0 }
    // Its parser works on bytes and decodes each field value itself.
    const onChunk = getLines(
      getMessages(
        () => {},
        () => {},
        (message) => {
          result.events++
          result.checksum += message.data.length
        },
      ),
    )
    for (const chunk of chunks) onChunk(chunk)
    return result
  },
}

/**
 * Not a parser: decodes and finds the blank lines that end events with
 * `indexOf`, and nothing else. The practical ceiling for any parser of decoded text.
 */
export const bareScan: Contender = {
  name: 'bare scan',
  run(chunks) {
    const result = { events: 0, checksum: 0 }
    const decoder = new TextDecoder()
    let rest = ''
    for (const chunk of chunks) {
      const text = rest + decoder.decode(chunk, { stream: true })
      let position = 0
      let end = text.indexOf('\n\n', position)
      while (end !== -1) {
        result.events++
        result.checksum += end - position
        position = end + 2
        end = text.indexOf('\n\n', position)
      }
      rest = text.slice(position)
    }
    return result
  },
}

export const contenders: readonly Contender[] = [
  tidings,
  eventsourceParser,
  fetchEventSource,
  bareScan,
]
