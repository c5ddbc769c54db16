import { encodeComment, TOPICS_COMMENT_PREFIX } from '@tidings/schema'
import { toBytes } from './frames.js'
import type { HistoryEntry } from './history.js'

/** What a connection that asked for `eventTopics` is written for one entry. */
export interface TaggedChunk {
  readonly chunk: Uint8Array
}

// One tagged copy per event, built by the first opted-in connection that needs it
// and shared by the others; it goes when the entry does (history eviction).
const cache = new WeakMap<HistoryEntry, TaggedChunk>()

/**
 * The entry's block preceded by a `: topics a,b` comment, for connections that
 * asked for each event's topics (`eventTopics=1`); a broadcast is sent as is (no
 * comment means every subscriber). Encoded once per event, like the plain block.
 */
export function taggedChunk(entry: HistoryEntry): TaggedChunk {
  if (entry.topics === undefined) return entry
  let tagged = cache.get(entry)
  if (tagged === undefined) {
    const comment = toBytes(encodeComment(`${TOPICS_COMMENT_PREFIX}${entry.topics.join(',')}`))
    const chunk = new Uint8Array(comment.byteLength + entry.chunk.byteLength)
    chunk.set(comment)
    chunk.set(entry.chunk, comment.byteLength)
    tagged = { chunk }
    cache.set(entry, tagged)
  }
  return tagged
}
