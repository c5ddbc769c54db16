import type { StoredEvent } from '@tidings/server'

/** Seqs per page: page `n` holds the entries of seqs `n * PAGE_SIZE` to `(n + 1) * PAGE_SIZE - 1`. */
export const PAGE_SIZE = 1000

/** Bytes of event data the pages kept after their reads may hold, in all. */
export const PAGE_CACHE_BYTES = 8 * 1024 * 1024

/** A page's entries of one epoch, in order (trimmed ones missing), and what they hold in bytes (above 0). */
export interface Page {
  readonly events: readonly StoredEvent[]
  readonly bytes: number
}

/**
 * Whole pages of the stream, read once for all the resumes that cross them.
 * Every topic shares the one Redis stream, so a late resume reads every run's
 * events from its id on and keeps its own: resumes that start close together
 * (many late readers, a reconnect storm) walk the same pages at about the same
 * time. Reading by fixed pages lets them share one `XRANGE` and one parse per
 * page instead of one each.
 *
 * Only pages the head has passed come here (no entry can join them); they are
 * kept after their read, most recently used last, within `maxBytes`.
 */
export class PageCache {
  readonly #pages = new Map<string, { readonly page: Promise<Page>; bytes: number }>()
  #bytes = 0

  constructor(
    readonly load: (epoch: string, index: number) => Promise<Page>,
    readonly maxBytes = PAGE_CACHE_BYTES,
  ) {}

  /** Page `index` of `epoch`: the one kept or in flight, else a new read. */
  get(epoch: string, index: number): Promise<Page> {
    const key = `${epoch}:${index}`
    const found = this.#pages.get(key)
    if (found) {
      this.#pages.delete(key)
      this.#pages.set(key, found)
      return found.page
    }
    const entry = { page: this.load(epoch, index), bytes: 0 }
    this.#pages.set(key, entry)
    entry.page.then(
      (page) => {
        if (this.#pages.get(key) !== entry) return
        if (page.bytes > this.maxBytes) {
          this.#pages.delete(key)
          return
        }
        entry.bytes = page.bytes
        this.#bytes += page.bytes
        this.#evict()
      },
      // A failed read is not kept: the next reader asks Redis again.
      () => {
        if (this.#pages.get(key) === entry) this.#pages.delete(key)
      },
    )
    return entry.page
  }

  #evict(): void {
    for (const [key, entry] of this.#pages) {
      if (this.#bytes <= this.maxBytes) return
      // Still in flight: its readers wait for it, and it holds nothing yet.
      if (entry.bytes === 0) continue
      this.#pages.delete(key)
      this.#bytes -= entry.bytes
    }
  }
}
