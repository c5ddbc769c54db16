import { type ChildProcess, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/net.js'

// The README promises `npm run demo`: this runs exactly that script, on a free
// port, checks it serves both apps, then stops it the way Ctrl-C does (SIGINT to
// the whole process group) and expects a clean exit.

const ROOT = resolve(import.meta.dirname, '..', '..')

describe('npm run demo', () => {
  let child: ChildProcess | undefined

  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL')
  })

  it('serves the index, the pages, their scripts and streams, and stops on Ctrl-C', async () => {
    const port = await freePort()
    const demo = spawn('npm', ['run', '--silent', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port) },
      detached: true, // its own process group, like a terminal's foreground job
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
    // npm re-raises the signal its script died of, so "clean" is: exit 0, or SIGINT after "Stopped.".
    const exited = new Promise<string>((done) =>
      demo.once('exit', (code, signal) => done(code === 0 ? 'ok' : String(signal ?? code))),
    )

    const url = await new Promise<string>((done, fail) => {
      const check = () => {
        const match = /running at (http:\/\/\S+)/.exec(output)
        if (match) done(match[1]!)
      }
      demo.stdout?.on('data', check)
      void exited.then(() => fail(new Error(`the demo exited early:\n${output}`)))
    })
    expect(url).toBe(`http://127.0.0.1:${port}/`)

    for (const path of [
      '',
      'server-time/',
      'chat/',
      'shared/style.css',
      'server-time/main.js',
      'chat/main.js',
      'ai-run/',
      'ai-run/main.js',
    ]) {
      const response = await fetch(new URL(path, url))
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'")
      await response.arrayBuffer()
    }

    const stream = await fetch(new URL('server-time/events', url))
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toMatch(/^: tidings heartbeat=\d+\n/)

    process.kill(-demo.pid!, 'SIGINT')
    // The open stream ends (closed by the server) and the process exits cleanly.
    for (let i = 0; i < 100; i++) if ((await reader.read()).done) break
    const how = await exited
    expect(output).toContain('Stopped.')
    expect(['ok', 'SIGINT']).toContain(how)
  })
})
