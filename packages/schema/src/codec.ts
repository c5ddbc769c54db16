/**
 * Turns payloads into the text carried by `data:` lines and back. JSON by
 * default; supply your own per contract to carry `Date`, `BigInt` and the like.
 * `encode` may return text containing line breaks: the encoder splits it into
 * several `data:` lines and the parser joins them back.
 *
 * @example
 * const codec: Codec = { encode: (v) => superjson.stringify(v), decode: (t) => superjson.parse(t) }
 */
export interface Codec {
  encode(value: unknown): string
  decode(text: string): unknown
}

/** The default codec: `JSON.stringify` / `JSON.parse`. */
export const jsonCodec: Codec = {
  encode: (value) => {
    const text = JSON.stringify(value)
    // JSON.stringify(undefined) is undefined, which would put "undefined" on the wire.
    return text === undefined ? 'null' : text
  },
  decode: (text) => JSON.parse(text),
}
