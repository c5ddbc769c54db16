// biome-ignore lint/suspicious/noExplicitAny: handlers of every event live in one map
type Handler = (...args: any[]) => void
type Entry = readonly [handler: Handler, once: boolean]

/** Named listener lists: the client's event plumbing. */
export interface Listeners {
  /** Adds `handler` (again, if it is there already: it is then called twice). */
  on(name: string, handler: Handler, once?: boolean): void
  /** Removes every registration of `handler` for `name`, `once` or not. */
  off(name: string, handler: Handler): void
  /** Calls the handlers of `name` in the order they were added. */
  emit(name: string, ...args: unknown[]): void
}

/**
 * Creates a listener registry. A handler that throws does not stop the others:
 * its error goes to `report`. Each emit calls the handlers registered when it
 * started, as Node's EventEmitter does: one added meanwhile waits for the next
 * emit, one removed meanwhile is still called this time.
 *
 * Written here rather than taken from eventemitter3, which costs 1.3 KB min+gz,
 * a third of the client's 4 KiB budget, for features the client does not use
 * (contexts, prefixes, listener counts).
 */
export const createListeners = (report: (error: unknown) => void): Listeners => {
  // Lists are replaced, never mutated, so an emit can iterate the one it read.
  const lists = new Map<string, readonly Entry[]>()
  const keep = (name: string, test: (entry: Entry) => boolean): void => {
    lists.set(name, (lists.get(name) ?? []).filter(test))
  }
  return {
    on(name, handler, once = false) {
      lists.set(name, [...(lists.get(name) ?? []), [handler, once]])
    },
    off(name, handler) {
      keep(name, ([h]) => h !== handler)
    },
    emit(name, ...args) {
      for (const entry of lists.get(name) ?? []) {
        const [handler, once] = entry
        // Only this registration: the same handler may also be on for good.
        if (once) keep(name, (other) => other !== entry)
        try {
          handler(...args)
        } catch (error) {
          report(error)
        }
      }
    },
  }
}
