import { defineConfig } from 'tsup'

export default defineConfig({
  // `bin` is the command (its shebang kept by esbuild); `index` the programmatic entry.
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  // The tarball ships `src` (the maps point at it), so the maps need not carry a second copy.
  esbuildOptions(options) {
    options.sourcesContent = false
  },
  target: 'es2022',
})
