import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build } from 'esbuild'
import { type BrowserContext, chromium } from 'playwright-core'

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

// These flags keep Chromium off the network: this machine only reaches localhost,
// and background services would otherwise try (and fail) to call home.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The Chromium binary to drive; never a downloaded browser. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? CANDIDATES.find((candidate) => existsSync(candidate))
  if (!path) {
    throw new Error(
      'Browser tests need Debian Chromium: run `node scripts/system-deps.mjs` (npm test does) or set CHROMIUM_PATH.',
    )
  }
  return path
}

/** A headless Chromium with a fresh profile; `close` removes the profile too. */
export async function launchChromium(): Promise<{
  context: BrowserContext
  close: () => Promise<void>
}> {
  const profile = mkdtempSync(join(tmpdir(), 'tidings-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: ARGS,
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Where tests keep screenshots and other artifacts (git-ignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, '..', '..', 'test-results')

/**
 * One script for a test page: `entry` bundled from the packages' sources (not
 * their builds, so a test never runs stale code), as a classic script.
 */
export async function bundleForBrowser(entry: URL, options: BuildOptions = {}): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tidings/source'],
    write: false,
    logLevel: 'silent',
    ...options,
  })
  return result.outputFiles?.[0]?.text ?? ''
}
