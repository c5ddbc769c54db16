/** A benchmark knob: an integer >= 0 from the environment, or `fallback` when unset or empty. */
export function envInt(name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be an integer >= 0`)
  return parsed
}

/**
 * A comma-separated knob, or `fallback` when unset. Set but empty, it is an
 * empty list: that is how a scenario is skipped (`BENCH_N=`).
 */
export function envList(name: string, fallback: readonly string[]): string[] {
  const value = process.env[name]
  if (value === undefined) return [...fallback]
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
