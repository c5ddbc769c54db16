import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/net.js'
import { type NpmScript, runNpmScript } from './npm-script.js'

// The README promises `npm run demo`: this runs exactly that script, on a free
// port, checks it serves both apps, then stops it the way Ctrl-C does (SIGINT to
// the whole process group) and expects a clean exit.

describe('npm run demo', () => {
  let demo: NpmScript | undefined
  afterAll(() => demo?.kill())

  it('serves the index, the pages, their scripts and streams, and stops on Ctrl-C', async () => {
    const port = await freePort()
    demo = runNpmScript('demo', { PORT: String(port) })
    const [, url] = await demo.waitFor(/running at (http:\/\/\S+)/)
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
      const response = await fetch(new URL(path, url!))
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'")
      await response.arrayBuffer()
    }

    const stream = await fetch(new URL('server-time/events', url!))
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const reader = stream.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    expect(first).toMatch(/^: tidings heartbeat=\d+\n/)

    const how = demo.interrupt()
    // The open stream ends (closed by the server) and the process exits cleanly.
    for (let i = 0; i < 100; i++) if ((await reader.read()).done) break
    expect(['ok', 'SIGINT']).toContain(await how)
    expect(demo.output()).toContain('Stopped.')
  })
})
