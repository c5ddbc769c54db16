import {
  encodeComment,
  encodeEvent,
  encodeRetry,
  GAP_EVENT,
  type GapInfo,
  type GapReason,
  HELLO_COMMENT_PREFIX,
} from '@tidings/schema'

const encoder = new TextEncoder()
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } })
  .Buffer

/**
 * Encodes SSE text into bytes. On Node, `Buffer.from` (small strings come from
 * a shared pool) costs a fraction of `TextEncoder.encode`, which allocates a
 * fresh ArrayBuffer per call; elsewhere, `TextEncoder`.
 */
export const toBytes: (text: string) => Uint8Array = NodeBuffer
  ? (text) => NodeBuffer.from(text, 'utf8')
  : (text) => encoder.encode(text)

/** The heartbeat: one empty comment line, the same bytes for every connection. */
export const HEARTBEAT: Uint8Array = toBytes(':\n')

/** A value drawn uniformly from [ms/2, 3ms/2), so reconnects after a restart spread out. */
export function jitter(ms: number): number {
  return Math.round(ms * (0.5 + Math.random()))
}

/**
 * The block every stream starts with: the hello comment (announcing the
 * heartbeat interval), a jittered `retry:` hint, and for a fresh connection a
 * bookmark `id:` so it can resume even before it received an event.
 */
export function helloBlock(
  heartbeatMs: number,
  retryMs: number,
  bookmark: string | undefined,
): string {
  let text = encodeComment(`${HELLO_COMMENT_PREFIX}${heartbeatMs}`)
  text += `retry:${jitter(retryMs)}\n`
  if (bookmark !== undefined) text += `id:${bookmark}\n`
  return `${text}\n`
}

/** The longest `lastEventId` echoed back in a gap event. */
const MAX_ECHOED_ID = 256

/** The control event telling a client it may have missed events after `lastEventId`. */
export function gapBlock(headId: string, reason: GapReason, lastEventId: string): string {
  const info: GapInfo = { reason, lastEventId: lastEventId.slice(0, MAX_ECHOED_ID) }
  return encodeEvent({ id: headId, event: GAP_EVENT, data: JSON.stringify(info) })
}

/** A standalone jittered `retry:` hint, sent before the server ends a stream on purpose. */
export function retryBlock(retryMs: number): Uint8Array {
  return toBytes(encodeRetry(jitter(retryMs)))
}

/** Joins the chunks of `parts` (`total` bytes) into one, without copying when there is only one. */
export function concatBytes(
  parts: readonly { readonly chunk: Uint8Array }[],
  total: number,
): Uint8Array {
  if (parts.length === 1) return parts[0]!.chunk
  const out = new Uint8Array(total)
  let offset = 0
  for (const { chunk } of parts) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
