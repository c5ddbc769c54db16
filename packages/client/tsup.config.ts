import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/sse.ts', 'src/share.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // The tarball ships `src` (the maps point at it), so the maps need not carry a second copy.
  esbuildOptions(options) {
    options.sourcesContent = false
  },
  target: 'es2022',
})
