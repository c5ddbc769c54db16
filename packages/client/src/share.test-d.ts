import { describe, expectTypeOf, it } from 'vitest'
import { events } from '../test/support.js'
import { type Client, createClient, type TabSharing } from './index.js'
import { shareTabs } from './share.js'
import { createClient as createSseClient } from './sse.js'

describe('the share option', () => {
  it('takes shareTabs(), with or without a name, from either entry', () => {
    expectTypeOf(shareTabs()).toEqualTypeOf<TabSharing>()
    expectTypeOf(createClient(events, '/events', { share: shareTabs() })).toEqualTypeOf<
      Client<typeof events>
    >()
    createSseClient(events, '/events', { share: shareTabs({ name: 'chat' }) })
  })

  it('refuses anything else', () => {
    // @ts-expect-error the code lives in @tidings/client/share: pass shareTabs(), not a flag
    createClient(events, '/events', { share: true })
    // @ts-expect-error a name is a string
    shareTabs({ name: 1 })
  })
})
