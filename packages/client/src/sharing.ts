import type { AnyContract } from '@tidings/schema'
import type { Client } from './client.js'
import type { DebugInfo, SseClientOptions } from './options.js'
import type { Transport } from './transport.js'

/**
 * What the `share` option takes: `shareTabs()` from `@tidings/client/share`. The
 * sharing code lives in that entry, so apps that do not share tabs never load it.
 *
 * @example
 * import { shareTabs } from '@tidings/client/share'
 * createClient(events, '/events', { topics: ['room:lobby'], share: shareTabs() })
 */
export interface TabSharing {
  /**
   * Builds this tab's client, which `createClient` returns. Internal: the entry
   * points call it with the transport they chose.
   */
  readonly client: <TContract extends AnyContract>(
    contract: TContract,
    url: string | URL,
    options: SseClientOptions,
    makeTransport: (debug: (info: DebugInfo) => void) => Transport,
  ) => Client<TContract>
}

/** Options of `shareTabs` (`@tidings/client/share`). */
export interface ShareTabsOptions {
  /**
   * The name of the shared connection: tabs with the same name share one. Give
   * one when tabs reach the same stream through different URLs.
   * @defaultValue the stream's absolute URL
   */
  name?: string | undefined
}
