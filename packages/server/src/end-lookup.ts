import { type EndedTopics, readEnd } from './ended-topics.js'
import { createEntry } from './history.js'
import type { MemoryHistory } from './memory-history.js'
import type { StoredEvent } from './store.js'

/**
 * How many topics a process remembers having found open in the store: a topic
 * past it is asked about again (one store read) when a stream next asks for it.
 */
const MAX_CHECKED = 10_000

const NONE: readonly string[] = []

/**
 * Asks a shared store about the ends a process could not see: its feed starts
 * at the head it opened at, so an end appended before that (another process
 * ended the topic before this one started) reaches it only through the store's
 * end markers (`EventStore.ends`).
 *
 * A topic found open needs no second look: every end appended after the look
 * comes through the feed, which started before it. So the answer is kept (a
 * bounded set), and only the first stream on a topic waits for the store. The
 * set goes with the history when it is replaced, as the feed then skipped
 * events (and whatever ends were among them).
 */
export class EndLookup {
  readonly #checked = new Set<string>()
  readonly #pending = new Map<string, Promise<void>>()

  constructor(
    readonly read: (epoch: string, topics: readonly string[]) => Promise<readonly StoredEvent[]>,
    readonly window: MemoryHistory,
    readonly ended: EndedTopics,
  ) {}

  /** The topics among `topics` that neither ended (as far as this process knows) nor were found open. */
  unknown(topics: Iterable<string>): readonly string[] {
    let found: string[] | undefined
    for (const topic of topics) {
      if (this.#checked.has(topic) || this.ended.closed(topic)) continue
      found ??= []
      found.push(topic)
    }
    return found ?? NONE
  }

  /**
   * Asks the store about `topics` (a topic already being asked about waits for
   * that answer), and remembers the ends it finds as tombstones. An end past
   * the local head is left to the feed: taken now, it would stop the feed from
   * sending it live to the streams that still wait for the events before it.
   */
  learn(topics: readonly string[]): Promise<void> {
    const waits: Promise<void>[] = []
    const ask: string[] = []
    for (const topic of topics) {
      const pending = this.#pending.get(topic)
      if (pending) waits.push(pending)
      else ask.push(topic)
    }
    if (ask.length > 0) {
      const { window, ended } = this
      const epoch = window.epoch
      const answer = this.read(epoch, ask)
        .then((ends) => {
          // The history was replaced meanwhile: its ends went with it.
          if (window.epoch !== epoch) return
          const head = window.head()
          const found = new Set<string>()
          for (const event of ends) {
            const info = readEnd(event.event, event.data, event.topics)
            if (info === undefined || !ask.includes(info.topic)) continue
            if (event.seq > head) continue
            found.add(info.topic)
            const entry = createEntry(
              epoch,
              event.seq,
              event.event,
              event.data,
              event.topics,
              event.at,
            )
            ended.add(entry, epoch, info)
          }
          for (const topic of ask) if (!found.has(topic)) this.#check(topic)
        })
        .finally(() => {
          for (const topic of ask)
            if (this.#pending.get(topic) === answer) this.#pending.delete(topic)
        })
      for (const topic of ask) this.#pending.set(topic, answer)
      waits.push(answer)
    }
    return Promise.all(waits).then(() => undefined)
  }

  /** The history was replaced (a shared store was reset): ask again. */
  clear(): void {
    this.#checked.clear()
  }

  #check(topic: string): void {
    this.#checked.delete(topic)
    if (this.#checked.size >= MAX_CHECKED) {
      const oldest = this.#checked.values().next().value
      if (oldest !== undefined) this.#checked.delete(oldest)
    }
    this.#checked.add(topic)
  }
}
