/**
 * Workloads for `bench/parser.ts`: realistic event streams, pre-encoded to UTF-8
 * and cut into 16 KiB `Uint8Array` chunks as a fetch body reader would hand them over.
 */

/** One benchmark input: the chunks of a stream and what a correct parser finds in it. */
export interface Workload {
  readonly name: string
  readonly description: string
  readonly chunks: readonly Uint8Array[]
  readonly bytes: number
  readonly events: number
}

export const CHUNK_SIZE = 16 * 1024

const encoder = new TextEncoder()

function chunk(text: string): { chunks: Uint8Array[]; bytes: number } {
  const all = encoder.encode(text)
  const chunks: Uint8Array[] = []
  for (let i = 0; i < all.length; i += CHUNK_SIZE) chunks.push(all.subarray(i, i + CHUNK_SIZE))
  return { chunks, bytes: all.length }
}

function build(
  name: string,
  description: string,
  targetBytes: number,
  event: (i: number) => string,
): Workload {
  const parts: string[] = []
  let length = 0
  let events = 0
  while (length < targetBytes) {
    const text = event(events)
    parts.push(text)
    length += text.length
    events++
  }
  return { name, description, events, ...chunk(parts.join('')) }
}

const users = ['ada', 'grace', 'linus', 'margaret', 'dennis', 'barbara']

/** (a) Many small JSON events with ids and names: the shape a Tidings server writes. */
export function smallEvents(targetBytes: number): Workload {
  return build('small', '(a) small JSON events, id+event', targetBytes, (i) => {
    const payload = JSON.stringify({
      user: users[i % users.length],
      text: `message number ${i} hello`,
      at: 1_700_000_000_000 + i,
    })
    return `id:k3f9x2-${i + 1}\nevent:chat:message\ndata:${payload}\n\n`
  })
}

/**
 * (d) The same small events with one non-ASCII character each: UTF-8 decoding
 * of non-ASCII text then costs every parser about as much as parsing does.
 */
export function smallNonAsciiEvents(targetBytes: number): Workload {
  return build('small-utf8', '(d) as (a), non-ASCII text', targetBytes, (i) => {
    const payload = JSON.stringify({
      user: users[i % users.length],
      text: `message number ${i} h\u00e9llo`,
      at: 1_700_000_000_000 + i,
    })
    return `id:k3f9x2-${i + 1}\nevent:chat:message\ndata:${payload}\n\n`
  })
}

/** (b) 4 KiB events: large JSON payloads on one data line. */
export function largeEvents(targetBytes: number): Workload {
  const filler = 'lorem ipsum dolor sit amet '.repeat(160).slice(0, 4000)
  return build('4kib', '(b) 4 KiB events', targetBytes, (i) => {
    const payload = JSON.stringify({ seq: i, body: filler })
    return `id:k3f9x2-${i + 1}\nevent:document\ndata:${payload}\n\n`
  })
}

/** (c) Multi-line data: pretty-printed JSON, one `data:` line per line. */
export function multiLineEvents(targetBytes: number): Workload {
  return build('multiline', '(c) multi-line data (10 lines)', targetBytes, (i) => {
    const payload = JSON.stringify(
      { id: i, user: users[i % users.length], tags: ['a', 'b'], score: i * 3, ok: true },
      null,
      2,
    )
    return `id:${i + 1}\ndata:${payload.split('\n').join('\ndata:')}\n\n`
  })
}
