// Lints every built package as it would be published: publint --strict for the
// package.json shape, attw --pack for types that resolve under every module mode.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name))
const bin = (name) => join(root, 'node_modules', '.bin', name)

let failed = false
for (const dir of packages) {
  for (const [cmd, args] of [
    [bin('publint'), ['--strict']],
    [bin('attw'), ['--pack', '.', '--profile', 'node16']],
  ]) {
    try {
      execFileSync(cmd, args, { cwd: dir, stdio: 'inherit' })
    } catch {
      console.error(`\n${cmd.split('/').pop()} failed for ${dir}`)
      failed = true
    }
  }
}
process.exit(failed ? 1 : 0)
