import { join, resolve } from 'node:path'
import type { AnyContract } from '@tidings/schema'
import { ARTIFACTS_DIR } from '../support/chromium.js'
import { writeDocFiles } from '../support/markdown.js'

// Recipe tests run the recipes' own code: the files a page names with
// `// @filename:` are written under test-results/recipes/<recipe>/ (inside the
// repository, so `@tidings/*` resolve to the workspace sources) and imported.

const RECIPES = resolve(import.meta.dirname, '..', '..', 'docs', 'recipes')

/** Writes the files of docs/recipes/<name>.md; returns their folder. */
export function recipeFiles(name: string): string {
  const dir = join(ARTIFACTS_DIR, 'recipes', name)
  const written = writeDocFiles(join(RECIPES, `${name}.md`), dir)
  if (written.length === 0) throw new Error(`docs/recipes/${name}.md names no files`)
  return dir
}

/** Imports one of the written files, typed by what the test expects of it. */
export async function importRecipe<T>(dir: string, file: string): Promise<T> {
  return (await import(join(dir, file))) as T
}

/** The `events` every recipe's contract exports. */
export interface ContractModule {
  readonly events: AnyContract
}

/** Resolves after `check` holds; polls on the event loop, bounded in count. */
export async function until(check: () => boolean, what: string, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await new Promise((done) => setTimeout(done, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}
