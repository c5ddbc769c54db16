import { type Client, type ClientOptions, createClient } from '@tidings/client'
import type { AnyContract } from '@tidings/schema'
import { useEffect, useRef, useState } from 'react'
import { createManagedClient } from './managed-client.js'

/**
 * A client that lives as long as the component: connected when it mounts,
 * closed when it unmounts, replaced when `contract`, `url` or `options.topics`
 * change. Pass `url` as `null` to stay disconnected (for example until a user
 * signs in).
 *
 * The returned object is the same on every render, and usable at once: handlers
 * registered with {@link useEvent} (in this component or its children) are in
 * place before the connection opens, so no replayed event is missed.
 *
 * Safe under StrictMode (the first mount's client is closed before it connects:
 * one connection, no duplicate delivery) and on the server (nothing connects
 * during `renderToString`; the status reads `connecting` until hydration).
 *
 * Options other than `topics` are read when the client is created. `headers`
 * may be a function, called before every connection attempt (a fresh token).
 *
 * @example
 * function Clock() {
 *   const client = useClient(events, '/events')
 *   const [time, setTime] = useState<number>()
 *   useEvent(client, 'server-time', ({ time }) => setTime(time))
 *   const status = useClientStatus(client)
 *   return <p>{status.state}: {time}</p>
 * }
 */
export function useClient<TContract extends AnyContract>(
  contract: TContract,
  url: string | URL | null | undefined,
  options: ClientOptions = {},
): Client<TContract> {
  const [managed] = useState(createManagedClient<TContract>)
  const latest = useRef(options)
  useEffect(() => {
    latest.current = options
  })
  const href = url === null || url === undefined ? undefined : String(url)
  // By value: an inline `topics: ['a']` is a new array on every render.
  const topics = JSON.stringify(options.topics ?? [])

  useEffect(() => {
    if (href === undefined) return
    managed.attach(createClient(contract, href, { ...latest.current, topics: JSON.parse(topics) }))
    return () => managed.detach()
  }, [managed, contract, href, topics])

  return managed
}
