/**
 * Summarises a V8 `.cpuprofile` (from `BENCH_PROFILE=<contender>`): the functions with the most
 * self time, and the most inclusive time, with file:line (1-based, of the built file).
 *
 *   npx tsx bench/fanout/profile-summary.ts test-results/bench-fanout-profiles/<file> [top]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  startTime: number
  endTime: number
}

const [file, topArg] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const totalSamples = profile.samples.length
const byId = new Map(profile.nodes.map((node) => [node.id, node]))

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame
  const where =
    url === ''
      ? ''
      : ` ${url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')}:${lineNumber + 1}`
  return `${functionName || '(anonymous)'}${where}`
}

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
function walk(node: ProfileNode, onStack: Set<string>): number {
  const key = label(node)
  let hits = node.hitCount ?? 0
  self.set(key, (self.get(key) ?? 0) + hits)
  const nested = onStack.has(key)
  onStack.add(key)
  for (const child of node.children ?? []) hits += walk(byId.get(child)!, onStack)
  if (!nested) {
    onStack.delete(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + hits)
  }
  return hits
}
walk(profile.nodes[0]!, new Set())

const pct = (hits: number) => `${((hits / totalSamples) * 100).toFixed(1).padStart(5)}%`
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${pct(hits)}  ${key}`)
  }
}
console.log(
  `${file}: ${totalSamples} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`,
)
print('self time', self)
print('inclusive time', inclusive)
