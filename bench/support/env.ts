/**
 * A benchmark knob: an integer >= `min` from the environment, or `fallback` when
 * unset or empty. `min` is 1 where zero would divide by zero or measure nothing.
 */
export function envInt(name: string, fallback: number, min = 0): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new Error(`${name} must be an integer >= ${min}`)
  }
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
