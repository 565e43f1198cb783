import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildBundle } from '../helpers/bundle';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE_DIR = join(ROOT, 'test/browser/page');
const LIBRARY_SOURCE = join(ROOT, 'src');
/** The library's entry points (package.json "exports") and the folders of `src` they are built from. */
const LIBRARY_ENTRIES: Record<string, string> = { 'ugatit-tf': LIBRARY_SOURCE, 'ugatit-tf/io': join(LIBRARY_SOURCE, 'io') };

/**
 * CommonJS packages the ESM builds import by bare name (the library's bundle keeps its
 * dependencies external, tfjs-backend-cpu imports seedrandom): the page's import map points
 * each at an ESM copy bundled here, as a user's bundler or CDN would provide.
 */
const COMMONJS_DEPENDENCIES: Record<string, string> = {
  'jpeg-js': 'jpeg-js.js',
  'pngjs/browser.js': 'pngjs-browser.js',
  seedrandom: 'seedrandom.js',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm',
};

/** A static server for the browser test page; `close()` also removes the build. */
export interface PageServer {
  url: string;
  close(): Promise<void>;
}

async function buildCommonJsShims(outDir: string): Promise<void> {
  for (const [specifier, file] of Object.entries(COMMONJS_DEPENDENCIES)) {
    await build({
      stdin: { contents: `import m from '${specifier}'; export default m;`, resolveDir: ROOT, loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', outfile: join(outDir, file), logLevel: 'silent',
    });
  }
}

/**
 * The page's script reaches the library through `src` (the Node helpers it bundles import it
 * so); the page must use the built bundle instead, as users do: `src` and `src/io` become the
 * external `ugatit-tf` and `ugatit-tf/io` of the import map, and any other import into `src` is
 * refused.
 */
const libraryAsPackage: Plugin = {
  name: 'library-as-package',
  setup(b) {
    b.onResolve({ filter: /\/src(\/.*)?$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      for (const [specifier, dir] of Object.entries(LIBRARY_ENTRIES)) {
        if (target === dir || target === join(dir, 'index.ts')) return { path: specifier, external: true };
      }
      if (target.startsWith(LIBRARY_SOURCE + sep)) {
        return { errors: [{ text: `${args.importer} imports ${args.path}: the test page may import the library only through its entry points (${Object.keys(LIBRARY_ENTRIES).join(', ')})` }] };
      }
      return undefined;
    });
  },
};

/** Bundles the page's script (and the test helpers it imports); tfjs and the library stay external. */
async function buildPageScript(outFile: string): Promise<void> {
  await build({
    entryPoints: [join(PAGE_DIR, 'golden.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    outfile: outFile, external: ['@tensorflow/*'], plugins: [libraryAsPackage], logLevel: 'silent',
  });
}

/** The import map the page uses: tfjs packages from their ESM builds in node_modules, the library from the fresh bundle. */
export function importMap(): { imports: Record<string, string> } {
  const tfjs = (pkg: string, file: string) => `/node_modules/@tensorflow/${pkg}/dist/${file}`;
  return {
    imports: {
      '@tensorflow/tfjs-core': tfjs('tfjs-core', 'tf-core.fesm.js'),
      '@tensorflow/tfjs-layers': tfjs('tfjs-layers', 'tf-layers.fesm.js'),
      '@tensorflow/tfjs-backend-cpu': tfjs('tfjs-backend-cpu', 'tf-backend-cpu.fesm.js'),
      '@tensorflow/tfjs-backend-webgl': tfjs('tfjs-backend-webgl', 'tf-backend-webgl.fesm.js'),
      '@tensorflow/tfjs-backend-webgpu': tfjs('tfjs-backend-webgpu', 'tf-backend-webgpu.fesm.js'),
      'ugatit-tf': '/bundle/index.js',
      'ugatit-tf/io': '/bundle/io.js',
      ...Object.fromEntries(Object.entries(COMMONJS_DEPENDENCIES).map(([spec, file]) => [spec, `/vendor/${file}`])),
    },
  };
}

/** Files under `base` only: the path is normalised and must stay inside it. */
function inside(base: string, rel: string): string | null {
  const full = normalize(join(base, rel));
  return full === base || full.startsWith(base + sep) ? full : null;
}

/**
 * Builds the bundle, the CommonJS shims and the page's script into a temporary folder and
 * serves them, the page, `node_modules/@tensorflow` and the golden files (`/fixtures/`, from
 * test/fixtures) on 127.0.0.1 at a random port.
 */
export async function startPageServer(): Promise<PageServer> {
  const work = mkdtempSync(join(tmpdir(), 'ugatit-browser-'));
  const bundleDir = join(work, 'bundle');
  const vendorDir = join(work, 'vendor');
  buildBundle(bundleDir, { formats: ['esm'], dts: false });
  await buildCommonJsShims(vendorDir);
  await buildPageScript(join(work, 'golden.js'));
  const html = readFileSync(join(PAGE_DIR, 'index.html'), 'utf8')
    .replace('<!--IMPORT_MAP-->', `<script type="importmap">${JSON.stringify(importMap())}</script>`);
  writeFileSync(join(work, 'index.html'), html);
  const mounts: Array<[string, string]> = [
    ['/bundle/', bundleDir], ['/vendor/', vendorDir], ['/fixtures/', join(ROOT, 'test/fixtures')],
    ['/node_modules/@tensorflow/', join(ROOT, 'node_modules/@tensorflow')], ['/', work],
  ];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    let file: string | null = path === '/' ? join(work, 'index.html') : null;
    for (const [prefix, dir] of mounts) {
      if (file) break;
      if (path.startsWith(prefix)) file = inside(dir, path.slice(prefix.length));
    }
    if (!file || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('page server: no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      rmSync(work, { recursive: true, force: true });
    },
  };
}
