import { defineConfig, type Options } from 'tsup'

/**
 * The build every package shares: ESM and CJS with declarations and source maps.
 * A package names its entries, and overrides what it must.
 */
export function packageConfig(entry: NonNullable<Options['entry']>, overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    // The tarball ships `src` (the maps point at it), so the maps need not carry a second copy.
    esbuildOptions(options) {
      options.sourcesContent = false
    },
    target: 'es2022',
    ...overrides,
  })
}
