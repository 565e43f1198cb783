import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPageServer, type PageServer } from './serve';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = process.env.UGATIT_BROWSER_SCREENSHOT;

// SwiftShader is Chromium's CPU implementation of WebGL: no GPU is needed, and the
// backend runs the same shaders a real GPU would.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-dev-shm-usage',
];

type Shapes = Array<{ name: string; shape: number[] }>;

/** mulberry32: a tiny seeded generator, so every run feeds both backends the same numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kernels ~U(±1/√fan_in) like PyTorch's default init; vectors (biases, γ, β, ρ, spectral u/v) in [0, 1]. */
function seededWeights(shapes: Shapes, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (const { shape } of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length >= 2 ? size / shape[shape.length - 1]! : 0;
    for (let i = 0; i < size; i++) out.push(fanIn > 0 ? (2 * r() - 1) / Math.sqrt(fanIn) : r());
  }
  return out;
}

/** A smooth test image in [−1, 1] (two colour gradients and a disc), `[1, size, size, 3]` flattened. */
function testImage(size: number, seed: number): number[] {
  const r = rng(seed);
  const [cx, cy, rad] = [size * (0.3 + 0.4 * r()), size * (0.3 + 0.4 * r()), size * (0.2 + 0.1 * r())];
  const out: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const disc = Math.hypot(x - cx, y - cy) < rad ? 1 : 0;
      out.push(disc ? 0.9 : (2 * x) / size - 1, disc ? -0.6 : (2 * y) / size - 1, disc ? 0.2 : Math.sin((x + y) / 4) * 0.5);
    }
  }
  return out;
}

function maxAbs(values: number[]): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

const IMG = 32;
const GENERATOR = { ngf: 8, nBlocks: 2, imgSize: IMG, light: false };
const NETWORKS = {
  genA2B: { kind: 'generator', config: { ngf: 4, nBlocks: 1, imgSize: IMG, light: true } },
  genB2A: { kind: 'generator', config: { ngf: 4, nBlocks: 1, imgSize: IMG, light: true } },
  disGA: { kind: 'discriminator', config: { ndf: 4, nLayers: 5 } },
  disGB: { kind: 'discriminator', config: { ndf: 4, nLayers: 5 } },
  disLA: { kind: 'discriminator', config: { ndf: 4, nLayers: 3 } },
  disLB: { kind: 'discriminator', config: { ndf: 4, nLayers: 3 } },
} as const;

describe('browser: the ESM bundle on the webgl backend (headless Chromium + SwiftShader)', () => {
  let server: PageServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let profileDir: string | undefined;
  const pageErrors: string[] = [];
  let info: { backend: string; webglVersion: number; renderFloat32: boolean; renderer: string };

  // A setup failure (no Chromium, page errors) fails every test with its message rather
  // than leaving them reported as skipped.
  let setupError: Error | undefined;
  const ready = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      if (!existsSync(CHROMIUM)) {
        throw new Error(`browser test: no Chromium at ${CHROMIUM}. Install it with 'apt-get install -y chromium' `
          + "(npm test does this through scripts/ensure-chromium.mjs when run as root), or set CHROMIUM_PATH.");
      }
      server = await startPageServer();
      profileDir = mkdtempSync(join(tmpdir(), 'ugatit-chromium-'));
      context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 680, height: 440 },
      });
      page = context.pages()[0] ?? await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { ugatitReady?: boolean }).ugatitReady === true, null, { timeout: 60_000 })
        .catch((e) => { throw new Error(`test page did not load: ${pageErrors.join(' | ') || String(e)}`); });
      info = await page.evaluate(() => (window as any).ugatitTest.info());
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('runs a seeded generator on webgl and matches the cpu backend', async () => {
    ready();
    expect(info.backend).toBe('webgl');
    const shapes: Shapes = await page.evaluate((c) => (window as any).ugatitTest.generatorWeightShapes(c), GENERATOR);
    const weights = seededWeights(shapes, 1234);
    const input = testImage(IMG, 99);
    const run = (backend: string) => page.evaluate(
      ([b, c, w, x, s]) => (window as any).ugatitTest.runGenerator(b, c, w, x, s),
      [backend, GENERATOR, weights, input, [1, IMG, IMG, 3]] as const,
    );
    const cpu = await run('cpu');
    const webgl = await run('webgl');
    expect(webgl.shapes).toEqual([[1, IMG, IMG, 3], [1, 2], [1, IMG / 4, IMG / 4, 1]]);
    expect(webgl.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
    // With float32 render targets webgl differs from cpu only by shader arithmetic (fused
    // multiply-adds, exp/tanh approximations, summation order); float16 textures keep ~11 bits.
    const tolerance = info.renderFloat32 ? 1e-4 : 3e-2;
    const report: string[] = [];
    for (const key of ['image', 'camLogit', 'heatmap'] as const) {
      const diff = maxDiff(webgl[key], cpu[key]);
      const scale = Math.max(1, maxAbs(cpu[key]));
      report.push(`${key}: max |webgl − cpu| = ${diff.toExponential(2)} (max |cpu| ${maxAbs(cpu[key]).toFixed(3)})`);
      expect(webgl[key].every(Number.isFinite)).toBe(true);
      expect(diff, `${key} differs between webgl and cpu`).toBeLessThanOrEqual(tolerance * scale);
    }
    const header = `webgl ${info.webglVersion} on ${info.renderer}, float32 render targets: ${info.renderFloat32}`;
    console.log([header, ...report].join('\n'));
    await page.evaluate((lines) => lines.forEach((l: string) => (window as any).ugatitTest.log(l)), [header, ...report]);
    expect(pageErrors).toEqual([]);
  });

  it('runs one UGATITTrainer step of six tiny networks on webgl: finite losses, every network updated, close to cpu', async () => {
    ready();
    const shapes: Record<string, Shapes> = await page.evaluate((s) => (window as any).ugatitTest.networkWeightShapes(s), NETWORKS);
    const weights = Object.fromEntries(Object.entries(shapes).map(([n, s], i) => [n, seededWeights(s, 100 + i)]));
    const realA = testImage(IMG, 7);
    const realB = testImage(IMG, 8);
    const step = (backend: string) => page.evaluate(
      ([b, s, w, a, bb, sh]) => (window as any).ugatitTest.trainStep(b, s, w, a, bb, sh),
      [backend, NETWORKS, weights, realA, realB, [1, IMG, IMG, 3]] as const,
    );
    const webgl = await step('webgl');
    const cpu = await step('cpu');
    for (const [name, value] of Object.entries(webgl.losses as Record<string, number>)) {
      expect(Number.isFinite(value), `${name} = ${value}`).toBe(true);
    }
    for (const [name, moved] of Object.entries(webgl.moved as Record<string, number>)) {
      expect(moved, `${name} did not change`).toBeGreaterThan(0);
    }
    const worst = Object.keys(cpu.losses).map((k) => {
      const rel = Math.abs(webgl.losses[k] - cpu.losses[k]) / Math.max(1, Math.abs(cpu.losses[k]));
      return { k, rel };
    }).sort((a, b) => b.rel - a.rel)[0]!;
    console.log(`training step on webgl: ${webgl.seconds.toFixed(1)} s (cpu ${cpu.seconds.toFixed(1)} s); `
      + `worst loss difference ${worst.k}: ${worst.rel.toExponential(2)} (relative); D_loss ${webgl.losses.D_loss}, G_loss ${webgl.losses.G_loss}`);
    expect(worst.rel, `loss ${worst.k}: webgl ${webgl.losses[worst.k]} vs cpu ${cpu.losses[worst.k]}`)
      .toBeLessThan(info.renderFloat32 ? 1e-4 : 3e-2);
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
