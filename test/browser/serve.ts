import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE_DIR = join(ROOT, 'test/browser/page');

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

/** Builds the library's ESM bundle exactly as `npm run build` does (no type declarations) into `outDir`. */
function buildBundle(outDir: string): void {
  const tsup = join(ROOT, 'node_modules/tsup/dist/cli-default.js');
  execFileSync(process.execPath, [tsup, '--format', 'esm', '--no-dts', '--out-dir', outDir], { cwd: ROOT, stdio: 'pipe' });
}

async function buildCommonJsShims(outDir: string): Promise<void> {
  for (const [specifier, file] of Object.entries(COMMONJS_DEPENDENCIES)) {
    await build({
      stdin: { contents: `import m from '${specifier}'; export default m;`, resolveDir: ROOT, loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', outfile: join(outDir, file), logLevel: 'silent',
    });
  }
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
      'ugatit-tf': '/bundle/index.js',
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
 * Builds the bundle and the CommonJS shims into a temporary folder and serves them, the
 * page and `node_modules/@tensorflow` on 127.0.0.1 at a random port.
 */
export async function startPageServer(): Promise<PageServer> {
  const work = mkdtempSync(join(tmpdir(), 'ugatit-browser-'));
  const bundleDir = join(work, 'bundle');
  const vendorDir = join(work, 'vendor');
  buildBundle(bundleDir);
  await buildCommonJsShims(vendorDir);
  const html = readFileSync(join(PAGE_DIR, 'index.html'), 'utf8')
    .replace('<!--IMPORT_MAP-->', `<script type="importmap">${JSON.stringify(importMap())}</script>`);
  writeFileSync(join(work, 'index.html'), html);
  const mounts: Array<[string, string]> = [
    ['/bundle/', bundleDir], ['/vendor/', vendorDir],
    ['/node_modules/@tensorflow/', join(ROOT, 'node_modules/@tensorflow')], ['/', PAGE_DIR],
  ];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    let file: string | null = path === '/' || path === '/index.html' ? join(work, 'index.html') : null;
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
