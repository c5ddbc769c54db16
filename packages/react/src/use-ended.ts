import type { Client, EndInfo } from '@tidings/client'
import type { AnyContract } from '@tidings/schema'
import { useEffect, useState } from 'react'

/**
 * The end of `topic` (`{ topic, reason }`) once the client received it, else
 * `undefined`: re-renders when `'tidings:end'` comes for `topic`, or at once
 * when it already came. The client must hold `topic` (`useClient`'s `topics`).
 * On the server, and without a client or a topic, `undefined`.
 *
 * @example
 * const client = useClient(events, '/runs/events', { topics: [`run:${id}`] })
 * const end = useEnded(client, `run:${id}`)
 * if (end?.reason === 'cancelled') return <p>Cancelled</p>
 */
export function useEnded<TContract extends AnyContract>(
  client: Client<TContract> | null | undefined,
  topic: string | null | undefined,
): EndInfo | undefined {
  // Kept with its topic, so a new topic never shows the old one's end.
  const [seen, setSeen] = useState<EndInfo | undefined>(undefined)
  useEffect(() => {
    if (!client || !topic) return
    let live = true
    const off = client.on('tidings:end', (info) => {
      if (info.topic === topic) setSeen(info)
    })
    // An end that came before this effect ran.
    void client.ended(topic).then((info) => {
      if (live && info) setSeen(info)
    })
    return () => {
      live = false
      off()
    }
  }, [client, topic])
  return seen?.topic === topic ? seen : undefined
}
