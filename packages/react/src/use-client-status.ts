import type { Client, ClientStatus } from '@tidings/client'
import type { AnyContract } from '@tidings/schema'
import { useCallback, useSyncExternalStore } from 'react'
import { IDLE_STATUS } from './managed-client.js'

/**
 * The client's current {@link ClientStatus}, re-rendering on every change
 * (`connecting`, `open`, `reconnecting` with attempt and delay, `closed`).
 * On the server, and without a client, `{ state: 'connecting' }`.
 *
 * @example
 * const status = useClientStatus(client)
 * if (status.state === 'reconnecting') return <p>Reconnecting in {status.delayMs} ms…</p>
 */
export function useClientStatus<TContract extends AnyContract>(
  client: Client<TContract> | null | undefined,
): ClientStatus {
  const subscribe = useCallback(
    (onChange: () => void) => (client ? client.on('tidings:status', onChange) : () => {}),
    [client],
  )
  return useSyncExternalStore(
    subscribe,
    () => client?.status ?? IDLE_STATUS,
    () => IDLE_STATUS,
  )
}
