import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openStream } from '../server/support.js'
import { freePort } from '../support/net.js'
import { redisServerPath } from '../support/redis.js'

// The deploying guide promises `npm run demo:cluster`: the chat on two
// processes sharing a Redis, behind a round-robin proxy. This runs that script,
// posts a message to one process, reads it from the other, and stops it with
// Ctrl-C (SIGINT to its process group).

const ROOT = resolve(import.meta.dirname, '..', '..')

describe('npm run demo:cluster', () => {
  let child: ChildProcess | undefined
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
  })

  it('carries a chat message posted on one process to a reader on the other', async () => {
    redisServerPath() // fails with the install command when redis-server is missing
    const port = await freePort()
    const demo = spawn('npm', ['run', '--silent', 'demo:cluster'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), REDIS_URL: '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = demo
    let output = ''
    demo.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    demo.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const exited = new Promise<string>((done) =>
      demo.once('exit', (code, signal) => done(code === 0 ? 'ok' : String(signal ?? code))),
    )
    const [a, b] = await new Promise<[string, string]>((done, fail) => {
      const check = () => {
        const match = /process A: (http:\/\/\S+)\s+process B: (http:\/\/\S+)/.exec(output)
        if (match) done([match[1]!, match[2]!])
      }
      demo.stdout?.on('data', check)
      void exited.then(() => fail(new Error(`demo:cluster exited early:\n${output}`)))
    })
    expect(output).toContain(`running at http://127.0.0.1:${port}/`)

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

    process.kill(-demo.pid!, 'SIGINT')
    expect(['ok', 'SIGINT']).toContain(await exited)
    expect(output).toContain('Stopped.')
  })
})
