import { afterAll, describe, expect, it } from 'vitest'
import { openStream } from '../server/support.js'
import { freePort } from '../support/net.js'
import { redisServerPath } from '../support/redis.js'
import { type NpmScript, runNpmScript } from './npm-script.js'

// The deploying guide promises `npm run demo:cluster`: the chat on two
// processes sharing a Redis, behind a round-robin proxy. This runs that script,
// posts a message to one process, reads it from the other, and stops it with
// Ctrl-C (SIGINT to its process group).

describe('npm run demo:cluster', () => {
  let demo: NpmScript | undefined
  afterAll(() => demo?.kill())

  it('carries a chat message posted on one process to a reader on the other', async () => {
    redisServerPath() // fails with the install command when redis-server is missing
    const port = await freePort()
    demo = runNpmScript('demo:cluster', { PORT: String(port), REDIS_URL: '' })
    const [, a, b] = await demo.waitFor(/process A: (http:\/\/\S+)\s+process B: (http:\/\/\S+)/)
    expect(demo.output()).toContain(`running at http://127.0.0.1:${port}/`)

    const onB = await openStream(`${b}chat/events?nick=bob&topic=room:lobby`)
    expect(onB.status).toBe(200)
    const posted = await fetch(`${a}chat/messages?nick=ada`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello from A' }),
    })
    expect(posted.status).toBe(201)
    let message = await onB.next()
    while (message.event !== 'chat:message') message = await onB.next()
    expect(JSON.parse(message.data)).toMatchObject({ user: 'ada', text: 'hello from A' })
    // The proxy in front serves the pages too.
    expect((await fetch(`http://127.0.0.1:${port}/chat/`)).status).toBe(200)
    onB.close()

    expect(['ok', 'SIGINT']).toContain(await demo.interrupt())
    expect(demo.output()).toContain('Stopped.')
  })
})
