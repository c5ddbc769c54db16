/**
 * Tidings event ids: `<epoch>-<seq>`. The epoch names one history (a memory
 * history gets a fresh random epoch each time a server starts), `seq` orders
 * events within it. Applications should treat ids as opaque; the SDK reads them
 * to resume, to detect a history it cannot resume from, and to drop duplicates.
 */
export interface EventId {
  readonly epoch: string
  readonly seq: number
}

const ID_PATTERN = /^([0-9a-z]{1,32})-(0|[1-9][0-9]{0,15})$/

/** Formats an id; `epoch` must be 1 to 32 characters of `[0-9a-z]`. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`
}

/** Parses an id, or returns `undefined` when it is not a Tidings id. */
export function parseEventId(id: string): EventId | undefined {
  if (id.length > 49) return undefined
  const match = ID_PATTERN.exec(id)
  if (!match) return undefined
  const seq = Number(match[2])
  if (!Number.isSafeInteger(seq)) return undefined
  return { epoch: match[1]!, seq }
}

/** A fresh random epoch: 10 base-36 characters. */
export function createEpoch(): string {
  const bytes = new Uint8Array(8)
  globalThis.crypto.getRandomValues(bytes)
  let epoch = ''
  for (const byte of bytes) epoch += (byte % 36).toString(36)
  return `${epoch}${(Date.now() % 1296).toString(36).padStart(2, '0')}`
}
