import type { Client, ClientStatus } from '@tidings/client'
import type { AnyContract } from '@tidings/schema'

/** The status of a managed client with no connection behind it (yet, or on the server). */
export const IDLE_STATUS: ClientStatus = Object.freeze({ state: 'connecting' })

// biome-ignore lint/suspicious/noExplicitAny: one registry holds handlers of every event
type AnyHandler = (...args: any[]) => void

interface Registration {
  readonly name: string
  readonly handler: AnyHandler
  detach: (() => void) | undefined
}

/** A {@link Client} whose connection comes and goes with a component. */
export interface ManagedClient<TContract extends AnyContract> extends Client<TContract> {
  /** Connects `client`: every handler registered so far (and later) goes to it. */
  attach(client: Client<TContract>): void
  /** Moves the handlers off the current client, then closes it. */
  detach(): void
}

/**
 * A client facade that exists before any connection does: handlers registered on
 * it are kept here and forwarded to whichever real client is attached. So the
 * object `useClient` returns is stable across renders and StrictMode's double
 * mount, the server can render with it without opening anything, and handlers
 * that child components register (their effects run before their parent's) are
 * in place before the first connection opens.
 */
export function createManagedClient<TContract extends AnyContract>(): ManagedClient<TContract> {
  const registrations = new Set<Registration>()
  let current: Client<TContract> | undefined

  const forward = (registration: Registration): void => {
    registration.detach = (current?.on as unknown as (name: string, h: AnyHandler) => () => void)?.(
      registration.name,
      registration.handler,
    )
  }
  const register = (name: string, handler: AnyHandler): (() => void) => {
    const registration: Registration = { name, handler, detach: undefined }
    registrations.add(registration)
    forward(registration)
    return () => {
      registrations.delete(registration)
      registration.detach?.()
    }
  }

  const managed: ManagedClient<TContract> = {
    on: (name, handler) => register(name, handler),
    once(name, handler) {
      const remove = register(name, (...args: unknown[]) => {
        remove()
        ;(handler as AnyHandler)(...args)
      })
      return remove
    },
    off(name, handler) {
      for (const registration of registrations) {
        if (registration.name === name && registration.handler === handler) {
          registrations.delete(registration)
          registration.detach?.()
        }
      }
    },
    listenerCount: (name) => {
      let count = 0
      for (const registration of registrations) if (registration.name === name) count++
      return count
    },
    removeAllListeners(name) {
      for (const registration of registrations) {
        if (name === undefined || registration.name === name) {
          registrations.delete(registration)
          registration.detach?.()
        }
      }
    },
    get status() {
      return current?.status ?? IDLE_STATUS
    },
    get lastEventId() {
      return current?.lastEventId
    },
    // The current connection's: a client replaced meanwhile (StrictMode, a changed
    // URL) closes, and its promise resolves `undefined`, as `Client.ended` documents.
    ended: (topic) => current?.ended(topic) ?? Promise.resolve(undefined),
    close: () => current?.close(),
    attach(client) {
      managed.detach()
      current = client
      for (const registration of registrations) forward(registration)
    },
    detach() {
      const client = current
      current = undefined
      // Handlers first: the old client's final `closed` status is not news to
      // them when a new client takes its place (StrictMode, a changed URL).
      for (const registration of registrations) {
        registration.detach?.()
        registration.detach = undefined
      }
      client?.close()
    },
  }
  return managed
}
