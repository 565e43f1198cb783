import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator, encodePng, saveLayersModelToDir } from '../../src';
import { useBackend } from '../helpers/backends';
import { buildBundle } from '../helpers/bundle';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-dev-shm-usage',
];
/** Where the screenshot goes (default: a temporary file, printed). */
const SCREENSHOT = process.env.UGATIT_EXAMPLE_SCREENSHOT;
/**
 * `tiny` (default): tiny random generators, so the test depends on no weights files; `repo`: the
 * repository's weights/; any other value: a folder holding `avatars/{genA2B,genB2A}` (for the
 * README picture, e.g. a fresh export of a training run).
 */
const WEIGHTS = process.env.UGATIT_EXAMPLE_WEIGHTS ?? 'tiny';

interface ExampleState { backend: string | null; translations: number; lastMs: number | null; error: string | null }

/** Random light generators of 32 px in the shipped layout `<dir>/avatars/{genA2B,genB2A}`. */
async function writeTinyWeights(dir: string): Promise<void> {
  await useBackend('cpu');
  for (const name of ['genA2B', 'genB2A']) {
    const gen = createGenerator({ ngf: 4, nBlocks: 1, imgSize: 32, light: true, name });
    await saveLayersModelToDir(gen, join(dir, 'avatars', name));
    gen.dispose();
  }
  writeFileSync(join(dir, 'avatars', 'provenance.json'), JSON.stringify({ iteration: 0, note: 'random weights of the example page test' }));
}

/** Starts examples/browser/serve.mjs on a free port; resolves with the URL it prints. */
function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'examples/browser/serve.mjs'), '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve.mjs printed no URL in 20 s: ${out}`)), 20_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(out)?.[0];
      if (url) {
        clearTimeout(timer);
        ok({ child, url });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`serve.mjs exited with ${code}: ${out}`)); });
  });
}

/**
 * Waits until the page has made `n` translations; fails at once on a page error (a module
 * that does not load never sets the state) or on the page's own error.
 */
async function waitForTranslations(page: Page, n: number, errors: string[], timeoutMs = 120_000): Promise<ExampleState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await page.evaluate(() => (window as unknown as { ugatitExample?: ExampleState }).ugatitExample ?? null);
    if (s?.error) throw new Error(`the page reports: ${s.error}`);
    if (s && s.translations >= n) return s;
    if (errors.length) throw new Error(`page errors before translation ${n}: ${errors.join(' | ')}`);
    if (Date.now() > deadline) throw new Error(`no translation ${n} within ${timeoutMs / 1000} s (state ${JSON.stringify(s)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('examples/browser: the example page translates a bundled sample on webgl (headless Chromium)', () => {
  let work: string | undefined;
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  let setupError: Error | undefined;

  beforeAll(async () => {
    try {
      if (!existsSync(CHROMIUM)) {
        throw new Error(`example page test: no Chromium at ${CHROMIUM}. Install it with 'apt-get install -y chromium' `
          + "(npm test does this through scripts/ensure-chromium.mjs when run as root), or set CHROMIUM_PATH.");
      }
      work = mkdtempSync(join(tmpdir(), 'ugatit-example-page-'));
      buildBundle(join(work, 'dist'), { formats: ['esm'], dts: false });
      const args = ['--dist', join(work, 'dist')];
      if (WEIGHTS === 'tiny') {
        await writeTinyWeights(join(work, 'weights'));
        args.push('--weights', join(work, 'weights'));
      } else if (WEIGHTS !== 'repo') {
        args.push('--weights', resolve(WEIGHTS));
      }
      const started = await startServer(args);
      server = started.child;
      context = await chromium.launchPersistentContext(join(work, 'profile'), {
        executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 760, height: 480 },
      });
      page = context.pages()[0] ?? await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`); });
      await page.goto(started.url);
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    server?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('draws input | heatmap overlay | output: the output is not blank and differs from the input', async () => {
    if (setupError) throw setupError;
    const state = await waitForTranslations(page, 1, pageErrors);
    expect(state.backend).toBe('webgl');

    const stats = await page.evaluate(() => {
      const pixels = (id: string) => {
        const c = document.getElementById(id) as HTMLCanvasElement;
        return { w: c.width, h: c.height, data: c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data };
      };
      const spread = (d: Uint8ClampedArray) => {
        let sum = 0;
        let sq = 0;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) for (let c = 0; c < 3; c++) { sum += d[i + c]!; sq += d[i + c]! ** 2; n++; }
        return Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
      };
      const [input, overlay, output] = [pixels('input'), pixels('overlay'), pixels('output')];
      let diff = 0;
      for (let i = 0; i < input.data.length; i += 4) for (let c = 0; c < 3; c++) diff += Math.abs(input.data[i + c]! - output.data[i + c]!);
      return {
        sizes: [input, overlay, output].map((p) => [p.w, p.h]),
        spread: { input: spread(input.data), overlay: spread(overlay.data), output: spread(output.data) },
        meanAbsDiff: diff / ((input.data.length / 4) * 3),
      };
    });
    console.log(`example page on ${state.backend}: first translation ${state.lastMs?.toFixed(0)} ms (${WEIGHTS} weights); `
      + `pixel std input ${stats.spread.input.toFixed(1)}, overlay ${stats.spread.overlay.toFixed(1)}, output ${stats.spread.output.toFixed(1)}; `
      + `mean |output − input| ${stats.meanAbsDiff.toFixed(1)} (0–255)`);
    // The bundled samples are 128 px and the output comes back at the input's size.
    expect(stats.sizes).toEqual([[128, 128], [128, 128], [128, 128]]);
    expect(stats.spread.output).toBeGreaterThan(2);
    expect(stats.spread.overlay).toBeGreaterThan(2);
    expect(stats.meanAbsDiff).toBeGreaterThan(2);

    const shot = SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'ugatit-example-shot-')), 'browser-example.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    expect(pageErrors).toEqual([]);
  }, 150_000);

  it("translates the user's own file (a non-square RGBA PNG) B → A at its size", async () => {
    if (setupError) throw setupError;
    const [w, h] = [90, 60];
    const data = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 29) % 256));
    await page.selectOption('#direction', 'b2a');
    // Switching direction translates the first B sample, then the file goes through B → A.
    await waitForTranslations(page, 2, pageErrors, 60_000);
    await page.setInputFiles('#file', { name: 'mine.png', mimeType: 'image/png', buffer: Buffer.from(encodePng({ width: w, height: h, channels: 4, data })) });
    await waitForTranslations(page, 3, pageErrors, 60_000);
    const sizes = await page.evaluate(() => ['input', 'overlay', 'output'].map((id) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      return [c.width, c.height];
    }));
    expect(sizes).toEqual([[w, h], [w, h], [w, h]]);
    expect(await page.textContent('#status')).toContain('mine.png');
    expect(pageErrors).toEqual([]);
  }, 150_000);
});
