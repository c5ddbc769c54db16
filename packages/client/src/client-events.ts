import EventEmitter from 'eventemitter3'

// biome-ignore lint/suspicious/noExplicitAny: handlers of every event share one emitter
type Handler = (...args: any[]) => void

/** The client's listener plumbing: eventemitter3, with each handler's errors isolated. */
export interface ClientEvents {
  /** Adds `handler` (again, if it is there already: it is then called twice). */
  on(name: string, handler: Handler, once?: boolean): void
  /** Removes every registration of `handler` for `name`, `once` or not. */
  off(name: string, handler: Handler): void
  /** Calls the handlers of `name` in the order they were added. */
  emit(name: string, ...args: unknown[]): void
  /** How many handlers `name` has. */
  listenerCount(name: string): number
  /** Removes the handlers of `name`, or of every name. */
  removeAllListeners(name?: string): void
}

/**
 * Listeners on eventemitter3. A handler that throws does not stop the others: its
 * error goes to `report`. Each emit calls the handlers registered when it started:
 * one added meanwhile waits for the next emit, one removed meanwhile is still
 * called this time (eventemitter3 copies the list on removal, as Node does).
 */
export const createClientEvents = (report: (error: unknown) => void): ClientEvents => {
  const emitter = new EventEmitter()
  // One wrapper per handler, so `off(name, handler)` finds what `on` registered.
  const wrappers = new WeakMap<Handler, Handler>()
  const wrap = (handler: Handler): Handler => {
    let wrapper = wrappers.get(handler)
    if (!wrapper) {
      wrapper = (...args) => {
        try {
          handler(...args)
        } catch (error) {
          report(error)
        }
      }
      wrappers.set(handler, wrapper)
    }
    return wrapper
  }
  return {
    on: (name, handler, once) => {
      emitter[once ? 'once' : 'on'](name, wrap(handler))
    },
    off: (name, handler) => {
      emitter.off(name, wrap(handler))
    },
    emit: (name, ...args) => {
      emitter.emit(name, ...args)
    },
    listenerCount: (name) => emitter.listenerCount(name),
    removeAllListeners: (name) => {
      emitter.removeAllListeners(name)
    },
  }
}

/** The listener methods of a client, over its events: the same for every kind of client. */
export const listenerMethods = (events: ClientEvents) => ({
  on(name: string, handler: Handler): () => void {
    events.on(name, handler)
    return () => events.off(name, handler)
  },
  once(name: string, handler: Handler): () => void {
    events.on(name, handler, true)
    return () => events.off(name, handler)
  },
  off: events.off,
  listenerCount: events.listenerCount,
  removeAllListeners: events.removeAllListeners,
})
