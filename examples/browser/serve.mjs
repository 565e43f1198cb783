#!/usr/bin/env node
// A tiny static server for the browser example: serves the repository root on 127.0.0.1, so the
// page's import map reaches node_modules/, dist/ (npm run build) and weights/, plus ESM copies of
// the three CommonJS packages the ESM builds import by name (built on first request with esbuild,
// which the dev dependencies already install).
//
//   node examples/browser/serve.mjs [--port 8080] [--dist <dir>] [--weights <dir>]
//
// --dist and --weights serve another folder at /dist/ and /weights/ (the page's test uses a fresh
// build and tiny weights). Prints the page's URL.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = '/examples/browser/';

/** Import-map name → the module an ESM wrapper re-exports as its default. */
const VENDOR = { 'jpeg-js.js': 'jpeg-js', 'pngjs-browser.js': 'pngjs/browser.js', 'seedrandom.js': 'seedrandom' };

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.map': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bin': 'application/octet-stream', '.css': 'text/css; charset=utf-8',
};

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, dist: { type: 'string' }, weights: { type: 'string' } },
  strict: true,
});
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: --port must be an integer in 0..65535, received ${JSON.stringify(args.port)}`);
  process.exit(2);
}
const mounts = [
  ['/dist/', resolve(args.dist ?? join(ROOT, 'dist'))],
  ['/weights/', resolve(args.weights ?? join(ROOT, 'weights'))],
  ['/', ROOT],
];
if (!existsSync(join(mounts[0][1], 'index.js'))) {
  console.warn(`serve: ${join(mounts[0][1], 'index.js')} is missing; run npm run build first`);
}

const vendorCache = new Map();
async function vendorModule(name) {
  if (!vendorCache.has(name)) {
    const { build } = await import('esbuild');
    const result = await build({
      stdin: { contents: `import m from '${VENDOR[name]}'; export default m;`, resolveDir: ROOT, loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
    });
    vendorCache.set(name, result.outputFiles[0].contents);
  }
  return vendorCache.get(name);
}

/** `rel` inside `base` (normalised, no dot-files such as .git), or null. */
function inside(base, rel) {
  if (rel.split('/').some((part) => part.startsWith('.') && part !== '.' && part !== '..')) return null;
  const full = normalize(join(base, rel));
  return full === base || full.startsWith(base + sep) ? full : null;
}

const server = createServer(async (req, res) => {
  try {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path === '/' || path === PAGE.slice(0, -1)) {
      res.writeHead(302, { location: PAGE }).end();
      return;
    }
    if (path.startsWith(`${PAGE}vendor/`) && VENDOR[path.slice(PAGE.length + 'vendor/'.length)]) {
      const body = await vendorModule(path.slice(PAGE.length + 'vendor/'.length));
      res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-store' }).end(body);
      return;
    }
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
    let file = inside(dir, path.slice(prefix.length));
    if (file && statSync(file, { throwIfNoEntry: false })?.isDirectory()) file = join(file, 'index.html');
    if (!file || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ugatit-tf browser example: http://127.0.0.1:${server.address().port}${PAGE}`);
});
