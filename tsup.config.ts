import { defineConfig } from 'tsup';

// The library's entry points: the root export and its two subpaths (package.json "exports").
const library = { index: 'src/index.ts', io: 'src/io/index.ts', backends: 'src/backends/index.ts' };

export default defineConfig({
  // `cli` is the command line (package.json "bin": dist/cli.js, ESM, shebang kept).
  entry: { ...library, cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: library },
  // Shared chunks in both formats: the entry points then share one copy of each module, so an
  // error class, a registered layer or an installed kernel is the same object whichever entry
  // point it is reached through (tsup splits only ESM unless asked).
  splitting: true,
  esbuildOptions(options, { format }) {
    // Split CommonJS is built as ESM and converted afterwards, which leaves `import.meta` in
    // place: give it the value the CommonJS chunk's own file has.
    if (format === 'cjs') {
      options.define = { ...options.define, 'import.meta.url': 'importMetaUrl' };
      options.inject = [...(options.inject ?? []), 'src/cjs-import-meta-url.ts'];
    }
  },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@dicebear\//, /^@resvg\//],
});
