import { defineConfig } from 'tsup';

export default defineConfig({
  // `cli` is the command line (package.json "bin": dist/cli.js, ESM, shebang kept).
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@dicebear\//, /^@resvg\//],
});
