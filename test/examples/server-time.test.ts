import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../../examples/demo.js'
import { ARTIFACTS_DIR, launchChromium } from '../support/chromium.js'
import { freePort } from '../support/net.js'

const SHOTS = join(ARTIFACTS_DIR, 'examples')
// Everything the clock page loads as JavaScript, minified then gzipped (level 9), in bytes.
// With zod classic in its contract it was ~98 KB; zod/mini brings it to ~10 KB.
const PAGE_SCRIPT_BUDGET = 12 * 1024

describe('demo index and the server-time page', () => {
  let demo: Demo
  let browser: { context: BrowserContext; close: () => Promise<void> }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    demo = await startDemo({ port: await freePort(), tickMs: 200 })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it('serves an index page linking every app', async () => {
    const page = await browser.context.newPage()
    await page.goto(demo.url)
    const links = await page
      .locator('.apps a')
      .evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')))
    expect(links).toEqual(['/server-time/', '/chat/', '/ai-run/'])
    await page.screenshot({ path: join(SHOTS, 'index.png'), fullPage: true })
    await page.close()
  })

  it('shows the server time live, with the connection status', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    await page.goto(new URL('server-time/', demo.url).href)

    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 })
    expect(await page.locator('#status .status-text').textContent()).toBe('Live')

    // A few ticks later, the count has gone up and the shown time has changed.
    await page.waitForFunction(
      () => Number(document.getElementById('count')?.textContent) >= 2,
      undefined,
      {
        timeout: 15_000,
      },
    )
    const firstId = await page.locator('#event-id').textContent()
    await page.waitForFunction(
      (previous) => {
        const count = Number(document.getElementById('count')?.textContent)
        return count >= 5 && document.getElementById('event-id')?.textContent !== previous
      },
      firstId,
      { timeout: 15_000 },
    )
    expect(await page.locator('#time').textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}/)
    expect(await page.locator('#event-id').textContent()).toMatch(/^[0-9a-z]+-\d+$/)
    await page.screenshot({ path: join(SHOTS, 'server-time.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.close()
  })

  it(`loads at most ${PAGE_SCRIPT_BUDGET} bytes of JavaScript, minified and gzipped`, async () => {
    const page = await browser.context.newPage()
    const scripts: Promise<{ url: string; bytes: number }>[] = []
    page.on('response', (response) => {
      const type = response.request().resourceType()
      const contentType = response.headers()['content-type'] ?? ''
      if (type === 'script' || contentType.includes('javascript')) {
        scripts.push(
          response.body().then((body) => ({
            url: response.url(),
            bytes: gzipSync(body, { level: 9 }).byteLength,
          })),
        )
      }
    })
    await page.goto(new URL('server-time/', demo.url).href)
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 })
    const loaded = await Promise.all(scripts)
    expect(loaded.map((script) => new URL(script.url).pathname)).toEqual(['/server-time/main.js'])
    const total = loaded.reduce((sum, script) => sum + script.bytes, 0)
    expect(total).toBeLessThanOrEqual(PAGE_SCRIPT_BUDGET)
    await page.close()
  })

  it('says so when a restarted server cannot resume the stream, then carries on', async () => {
    const page = await browser.context.newPage()
    await page.goto(new URL('server-time/', demo.url).href)
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 })
    expect(await page.locator('#gap').isHidden()).toBe(true)

    // A restart with a memory history is a new epoch: the old ids mean nothing to it.
    const { port } = new URL(demo.url)
    await demo.close()
    demo = await startDemo({ port: Number(port), tickMs: 200 })

    await page.waitForSelector('#gap:not([hidden])', { timeout: 20_000 })
    expect(await page.locator('#gap').textContent()).toContain('other-epoch')
    await page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 })
    const count = Number(await page.locator('#count').textContent())
    await page.waitForFunction(
      (before) => Number(document.getElementById('count')?.textContent) > before,
      count,
      { timeout: 15_000 },
    )
    await page.screenshot({ path: join(SHOTS, 'server-time-after-restart.png'), fullPage: true })
    await page.close()
  })
})
