// The system packages the test suite needs, in one place, and the set-up step
// `npm test` runs first. On a fresh Debian/Ubuntu machine, as root with apt-get,
// it installs them; anywhere else it stops at once with the command to run,
// rather than letting dozens of tests fail one by one on a missing binary.
//
//   node scripts/system-deps.mjs           # check, install if missing and permitted
//   node scripts/system-deps.mjs --list    # print the Debian package names
//
// TIDINGS_NO_INSTALL=1 forbids installing (check only).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const onPath = (name) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)))

/**
 * What the tests need from the system: the Debian package, why, and how to tell
 * it is there. Add a row here when a test needs another program.
 */
export const SYSTEM_PACKAGES = [
  {
    name: 'chromium',
    why: 'browser tests (driven by playwright-core; never a downloaded browser)',
    present: () =>
      (process.env.CHROMIUM_PATH !== undefined && existsSync(process.env.CHROMIUM_PATH)) ||
      ['chromium', 'chromium-browser'].some(onPath),
  },
  {
    name: 'fonts-dejavu-core',
    why: 'a font for the pages Chromium renders in browser tests',
    present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
  },
  {
    name: 'redis-server',
    why: 'the Redis history store tests (a local redis-server per test run)',
    present: () => onPath('redis-server'),
  },
  {
    name: 'tmux',
    why: 'the CLI terminal test',
    present: () => onPath('tmux'),
  },
]

/** The one command that installs every package above on Debian or Ubuntu. */
export function installCommand(sudo = false) {
  const prefix = sudo ? 'sudo ' : ''
  const names = SYSTEM_PACKAGES.map((entry) => entry.name).join(' ')
  return `${prefix}apt-get update && ${prefix}apt-get install -y --no-install-recommends ${names}`
}

const missing = () => SYSTEM_PACKAGES.filter((entry) => !entry.present())

function describe(entries) {
  return entries.map((entry) => `  - ${entry.name}: ${entry.why}`).join('\n')
}

function main() {
  if (process.argv.includes('--list')) {
    console.log(SYSTEM_PACKAGES.map((entry) => entry.name).join(' '))
    return 0
  }
  const before = missing()
  if (before.length === 0) return 0

  const root = typeof process.getuid === 'function' && process.getuid() === 0
  const permitted = root && onPath('apt-get') && !process.env.TIDINGS_NO_INSTALL
  if (!permitted) {
    const how = onPath('apt-get')
      ? `Run:\n\n  ${installCommand(!root)}\n`
      : 'Install them with your system package manager (Chromium: or set CHROMIUM_PATH to its binary).\n'
    console.error(`The tests need system packages that are missing:\n${describe(before)}\n\n${how}`)
    return 1
  }

  console.log(`Installing the system packages the tests need:\n${describe(before)}\n`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  try {
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env })
    execFileSync(
      'apt-get',
      ['install', '-y', '--no-install-recommends', ...SYSTEM_PACKAGES.map((entry) => entry.name)],
      { stdio: 'inherit', env },
    )
  } catch {
    console.error(`\nInstalling failed. The command was:\n\n  ${installCommand()}\n`)
    return 1
  }
  const after = missing()
  if (after.length > 0) {
    console.error(`Still missing after apt-get install:\n${describe(after)}`)
    return 1
  }
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(main())
}
