/**
 * `@tidings/client/share`: one connection per browser rather than per tab. Pass
 * `shareTabs()` as the `share` option of `createClient` (from `@tidings/client` or
 * `@tidings/client/sse`); apps that do not share tabs never load this code.
 */
import type { AnyContract } from '@tidings/schema'
import { assembleClient, type Client } from './client.js'
import type { DebugInfo, SseClientOptions } from './options.js'
import { type ChannelLike, createSharedClient, type LocksLike } from './shared-client.js'
import type { ShareTabsOptions, TabSharing } from './sharing.js'
import type { Transport } from './transport.js'

type BrowserLike = {
  navigator?: { locks?: LocksLike }
  BroadcastChannel?: new (name: string) => ChannelLike
  location?: { href: string }
}

/**
 * Makes every tab of this origin that opens the same stream share one
 * connection: the tabs elect a leader with the Web Locks API, the leader reads
 * the stream on the union of all the tabs' topics and relays each event over a
 * `BroadcastChannel`, and each tab receives its own topics' events, typed,
 * through the usual `on`, `status` and `lastEventId`. When the leader tab
 * closes or freezes, another takes over and resumes from the earliest event all
 * tabs have processed: no event lost, none delivered twice. `close()` ends only
 * that tab's part.
 *
 * The leader's options hold for the shared connection (`headers`, `transport`,
 * `reconnect`, timeouts); each tab's `topics`, `lastEventId`, `onDebug` and
 * listeners are its own. Needs a Tidings server (it names each event's topics,
 * see `eventTopics` in the protocol). Where Web Locks or `BroadcastChannel` is
 * missing (Node, old browsers), each client connects on its own, as without
 * this option.
 *
 * @example
 * import { createClient } from '@tidings/client'
 * import { shareTabs } from '@tidings/client/share'
 * const client = createClient(events, '/events', { topics: ['room:lobby'], share: shareTabs() })
 * client.on('chat:message', ({ user, text }) => show(user, text))
 */
export function shareTabs(shareOptions: ShareTabsOptions = {}): TabSharing {
  return {
    client<TContract extends AnyContract>(
      contract: TContract,
      url: string | URL,
      options: SseClientOptions,
      makeTransport: (debug: (info: DebugInfo) => void) => Transport,
    ): Client<TContract> {
      const env = globalThis as BrowserLike
      const locks = env.navigator?.locks
      const Channel = env.BroadcastChannel
      if (!locks || !Channel) return assembleClient(contract, url, options, makeTransport)
      const name = `tidings:${shareOptions.name ?? new URL(url, env.location?.href).href}`
      return createSharedClient(contract, url, options, makeTransport, name, {
        locks,
        channel: (channelName) => new Channel(channelName),
      })
    },
  }
}

export type { ShareTabsOptions, TabSharing } from './sharing.js'
