import type { Client, ClientEventName, ClientHandler } from '@tidings/client'
import type { AnyContract } from '@tidings/schema'
import { useEffect, useLayoutEffect, useRef } from 'react'

// useLayoutEffect warns during server rendering in React 18; it never runs there anyway.
const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect

/**
 * Calls `handler` for every `name` event of `client`: a contract event (typed
 * payload and meta) or a lifecycle event (`'tidings:status'`, `'tidings:error'`,
 * `'tidings:gap'`). Subscribes once per `client` and `name`: a new `handler` on
 * each render is called from then on without resubscribing, so an inline arrow
 * function is fine. `client` may be `null` or `undefined` (nothing happens).
 *
 * @example
 * useEvent(client, 'chat:message', ({ user, text }) => setLines((lines) => [...lines, `${user}: ${text}`]))
 * useEvent(client, 'tidings:gap', () => refetchMessages())
 */
export function useEvent<TContract extends AnyContract, TName extends ClientEventName<TContract>>(
  client: Client<TContract> | null | undefined,
  name: TName,
  handler: ClientHandler<TContract, TName>,
): void {
  const latest = useRef(handler)
  useIsomorphicLayoutEffect(() => {
    latest.current = handler
  })
  useEffect(() => {
    if (!client) return
    const call = ((...args: Parameters<ClientHandler<TContract, TName>>) =>
      (latest.current as (...values: typeof args) => void)(...args)) as ClientHandler<
      TContract,
      TName
    >
    return client.on(name, call)
  }, [client, name])
}
