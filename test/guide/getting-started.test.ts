import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest'
import { launchChromium } from '../support/chromium.js'
import {
  type Background,
  background,
  NPM_INSTALL_FLAGS,
  packTarballs,
  REPO_ROOT,
  shell,
  tempDir,
  userEnv,
} from '../support/fresh-app.js'
import { type CodeBlock, codeBlocks, commands } from '../support/markdown.js'
import { freePort } from '../support/net.js'

// The getting-started guide, followed literally in an empty folder outside the
// repository: its commands in order (```sh blocks), its files as written (blocks
// with `// @filename:`), its server started and stopped with Ctrl-C, its page
// checked in headless Chromium. Then the README's snippet gets the same treatment
// in the app the guide built. The only departures from the text, all mechanical:
//
// - `@tidings/<name>` in an `npm install` line becomes the packed tarball of that
//   package (as the guide's note says to do until the packages are published);
// - every `npm install` gets --prefer-offline --no-audit --no-fund (a warm npm
//   cache makes it fast; nothing else is cached: the app lives in a temp dir);
// - port 3000 becomes a free port (the guide's server reads PORT; the README's
//   `listen(3000)` is rewritten);
// - a ```sh block marked `<!-- test: skip -->` is not run, one marked
//   `<!-- test: background -->` keeps running while the test checks it.

const GUIDE = join(REPO_ROOT, 'docs', 'guide', 'getting-started.md')
const README = join(REPO_ROOT, 'README.md')
const TIME = /^\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?$/
// Bounds, not expectations: a loaded CI machine may be slow to start tsx or Chromium.
const START_MS = 60_000
const TICK_MS = 15_000
const EXIT_MS = 20_000
// The page backs off while the server is down (up to 16 s by the fifth attempt): a slow restart needs room.
const RECONNECT_MS = 45_000

/** Rewrites one command line of the guide for the test (see above). */
function adapt(command: string, tarballs: Map<string, string>, port: number): string {
  let line = command.replaceAll('localhost:3000', `localhost:${port}`)
  if (/^npm (install|i)\b/.test(line)) {
    line = line
      .split(' ')
      .map((word) => tarballs.get(word) ?? word)
      .join(' ')
    line = `${line} ${NPM_INSTALL_FLAGS.join(' ')}`
  }
  return line
}

async function waitForText(
  page: Page,
  selector: string,
  test: (text: string) => boolean,
  timeoutMs = TICK_MS,
) {
  const deadline = Date.now() + timeoutMs
  for (let text = ''; Date.now() < deadline; await page.waitForTimeout(100)) {
    text = (await page.locator(selector).textContent()) ?? ''
    if (test(text)) return text
  }
  throw new Error(
    `${selector} never matched; it shows ${await page.locator(selector).textContent()}`,
  )
}

/** Stops a server as Ctrl-C in its terminal would, and expects it to exit on its own, quietly. */
async function ctrlC(server: Background, expect: ExpectStatic): Promise<void> {
  const before = server.output().length
  server.signal('SIGINT')
  const exit = await Promise.race([
    server.exited,
    new Promise<'hung'>((done) => setTimeout(() => done('hung'), EXIT_MS).unref()),
  ])
  expect(exit, `still running ${EXIT_MS} ms after Ctrl-C:\n${server.output()}`).not.toBe('hung')
  // npm exec (npx) ends on the Ctrl-C it received itself (SIGINT, or code 130) whatever
  // its child did, once the child is gone: the app's own failure shows as an error on the output.
  if (exit !== 'hung') expect([0, 130, 'SIGINT']).toContain(exit.code ?? exit.signal)
  expect(server.output().slice(before)).not.toMatch(/error|exception/i)
}

describe('getting started, followed literally in an empty folder', () => {
  const packs = tempDir('guide-tarballs')
  const home = tempDir('guide')
  const running: Background[] = []
  let tarballs: Map<string, string>
  let browser: { context: BrowserContext; close: () => Promise<void> }
  let port: number
  let app = home.path
  const blocks = codeBlocks(GUIDE)
  const at = (block: CodeBlock) => `${relative(REPO_ROOT, block.doc)}:${block.line}`

  beforeAll(async () => {
    ;[tarballs, browser, port] = await Promise.all([
      packTarballs(packs.path),
      launchChromium(),
      freePort(),
    ])
  }, 120_000)

  afterAll(async () => {
    for (const job of running) job.kill()
    await browser?.close()
    home.remove()
    packs.remove()
  })

  it('has the blocks this test follows', () => {
    const shells = blocks.filter((block) => block.lang === 'sh')
    expect(shells.filter((block) => block.directive === 'background').map(commands)).toEqual([
      ['npx tsx server.ts'],
      ['curl -N http://localhost:3000/events'],
    ])
    expect(blocks.filter((block) => block.filename).map((block) => block.filename)).toEqual([
      'tsconfig.json',
      'contract.ts',
      'server.ts',
      'browser.ts',
      'index.html',
    ])
    expect(readFileSync(GUIDE, 'utf8')).toContain('--minify')
  })

  it('builds the app: every command and file up to the server', async () => {
    for (const block of blocks) {
      if (block.directive === 'background') break
      if (block.filename) {
        const path = join(app, block.filename)
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, `${block.code}\n`)
        continue
      }
      if (block.lang !== 'sh' || block.directive === 'skip') continue
      for (const command of commands(block)) {
        // One shell per line, as typed; `cd` carries over through the printed working directory.
        const line = adapt(command, tarballs, port)
        const { stdout } = await shell(`${line}\nprintf '\\n@cwd=%s' "$PWD"`, {
          cwd: app,
          timeoutMs: 180_000,
        }).catch((error: Error) => {
          throw new Error(`${at(block)}: \`${line}\` failed: ${error.message}`)
        })
        app = /@cwd=(.*)$/.exec(stdout)![1]!
      }
    }
    expect(relative(home.path, app)).toBe('hello-tidings')
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'))
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      '@tidings/client',
      '@tidings/schema',
      '@tidings/server',
      'zod',
    ])
    // "about 30 kB, 11 kB gzipped", minified by the guide's esbuild command.
    const script = readFileSync(join(app, 'public', 'browser.js'))
    expect(script.toString()).toContain('tidings:status')
    expect(script.byteLength).toBeLessThan(32_000)
    expect(gzipSync(script, { level: 9 }).byteLength).toBeLessThan(12_000)
  }, 240_000)

  // The guide's server and the README's run side by side: most of their time is waiting for ticks.
  describe.concurrent('then', () => {
    it('serves a page whose clock follows live events, stops on Ctrl-C, and resumes after a restart', async ({
      expect,
    }) => {
      const [serve, curl] = blocks.filter((block) => block.directive === 'background')
      const start = () => {
        const job = background(adapt(commands(serve!)[0]!, tarballs, port), {
          cwd: app,
          env: userEnv({ PORT: String(port) }),
        })
        running.push(job)
        return job
      }
      let server = start()
      await server.waitFor(new RegExp(`http://localhost:${port}`), START_MS)

      const page = await browser.context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(`http://localhost:${port}/`)
      await waitForText(page, '#status', (text) => text === 'open')
      const first = await waitForText(page, '#time', (text) => TIME.test(text))
      // A later event, live on the same stream, moves the clock on.
      await waitForText(page, '#time', (text) => TIME.test(text) && text !== first)

      // The raw stream, from "another terminal".
      const raw = background(adapt(commands(curl!)[0]!, tarballs, port), { cwd: app })
      running.push(raw)
      await raw.waitFor(/id:\S+-\d+\n\n/, TICK_MS)
      expect(raw.stdout()).toMatch(/^: tidings heartbeat=\d+\nretry:\d+\nid:[0-9a-z]+-\d+\n\n/)
      raw.signal('SIGINT')
      await raw.exited

      await ctrlC(server, expect)
      await waitForText(page, '#status', (text) => text === 'reconnecting')

      server = start()
      await server.waitFor(new RegExp(`http://localhost:${port}`), START_MS)
      await waitForText(page, '#status', (text) => text === 'open', RECONNECT_MS)
      const after = (await page.locator('#time').textContent()) ?? ''
      await waitForText(page, '#time', (text) => TIME.test(text) && text !== after)
      expect(errors).toEqual([])
      await page.close()
      await ctrlC(server, expect)
    }, 180_000)

    it("runs the README's snippet the same way", async ({ expect }) => {
      const snippet = codeBlocks(README).filter((block) => block.lang === 'ts')
      expect(snippet.map((block) => block.filename)).toEqual([
        'contract.ts',
        'server.ts',
        'browser.ts',
      ])
      const readmePort = await freePort()
      const dir = join(app, 'readme')
      mkdirSync(dir)
      for (const block of snippet) {
        if (block.filename === 'server.ts') expect(block.code).toContain('.listen(3000)')
        const code = block.code.replace('.listen(3000)', `.listen(${readmePort})`)
        writeFileSync(join(dir, block.filename!), `${code}\n`)
      }
      // The guide's TypeScript set-up and tools, on the README's three files.
      writeFileSync(join(dir, 'tsconfig.json'), '{ "extends": "../tsconfig.json" }\n')
      await shell('npx tsc -p readme', { cwd: app })
      await shell(
        'npx esbuild readme/browser.ts --bundle --minify --format=esm --outfile=readme/public/browser.js',
        { cwd: app },
      )
      const server = background('npx tsx readme/server.ts', { cwd: app })
      running.push(server)

      // "The page comes from the same origin as the stream": the browser gets the page
      // and its script from the test (standing in for a static host), the stream from the server.
      const origin = `http://localhost:${readmePort}`
      const script = readFileSync(join(dir, 'public', 'browser.js'), 'utf8')
      const page = await browser.context.newPage()
      await page.route(`${origin}/`, (route) =>
        route.fulfill({
          contentType: 'text/html; charset=utf-8',
          body: '<!doctype html><meta charset="utf-8"><script type="module" src="/browser.js"></script>',
        }),
      )
      await page.route(`${origin}/browser.js`, (route) =>
        route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: script }),
      )
      const deadline = Date.now() + START_MS
      for (;;) {
        const up = await fetch(`${origin}/events`, { signal: AbortSignal.timeout(2000) })
          .then(async (response) => {
            await response.body?.cancel()
            return response.ok
          })
          .catch(() => false)
        if (up) break
        if (Date.now() > deadline)
          throw new Error(`the README server never answered:\n${server.output()}`)
        await new Promise((done) => setTimeout(done, 250))
      }
      await page.goto(`${origin}/`)
      const first = await waitForText(page, 'body', (text) => TIME.test(text))
      await waitForText(page, 'body', (text) => TIME.test(text) && text !== first)
      await page.close()
      expect(server.child.exitCode, server.output()).toBe(null)

      server.signal('SIGINT')
      const exit = await Promise.race([
        server.exited,
        new Promise<'hung'>((done) => setTimeout(() => done('hung'), EXIT_MS).unref()),
      ])
      expect(exit, 'the README server ignored Ctrl-C').not.toBe('hung')
      expect(server.output()).not.toMatch(/error|exception/i)
    }, 180_000)
  })
})
