import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundViolations, forwardFailures, forwardSummary, GOLDEN_BOUNDS, stepSummary } from '../helpers/golden-bounds';
import { manifest } from '../helpers/fixtures';
import { FORWARD_FIXTURES, type ForwardMeasurements } from '../helpers/golden-forward';
import type { StepComparison, TrainingFixtureName } from '../helpers/golden-training';
import { expectKernelsUsed, KernelRuns } from '../helpers/kernel-coverage';
import type { KernelLog } from '../helpers/kernel-recorder';
import type { BackendInfo, GoldenPage } from './page/golden';
import { readTrainingMeta } from '../helpers/reference-training';
import { startPageServer, type PageServer } from './serve';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// SwiftShader is Chromium's CPU implementation of Vulkan, under both WebGL (through ANGLE) and
// WebGPU (through Dawn): no GPU is needed, and the backends run the shaders a GPU would.
// WebGPU needs --enable-unsafe-webgpu on Linux and a secure context (the page is on 127.0.0.1).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-dev-shm-usage',
];

/** A training fixture and how many of its recorded steps to compare. */
export type TrainingRun = [fixture: TrainingFixtureName, steps: number];

interface Run<T> { result: T; kernels: KernelLog; seconds: number; leaked: number }

/**
 * The golden checks on one GPU backend of headless Chromium, through the library's ESM bundle:
 * every forward fixture, the given training steps, and the kernels they ran (held to
 * test/backends/kernels-used.txt). Bounds: FORWARD_BOUND and `GOLDEN_BOUNDS[fixture][backend]` in
 * test/helpers/golden-bounds.ts.
 */
export function goldenSuite(backend: 'webgl' | 'webgpu', trainingRuns: readonly TrainingRun[]): void {
  describe(`the golden files on ${backend} in headless Chromium (the ESM bundle, SwiftShader)`, () => {
    let server: PageServer | undefined;
    let context: BrowserContext | undefined;
    let page: Page;
    let profileDir: string | undefined;
    let info: BackendInfo | undefined;
    const pageErrors: string[] = [];
    const kernels = new KernelRuns();
    // A setup failure (no Chromium, page errors, no backend) fails every test with its message
    // rather than leaving them reported as skipped.
    let setupError: Error | undefined;
    const ready = () => {
      if (setupError) throw setupError;
    };
    const call = <K extends keyof GoldenPage>(method: K, ...args: Parameters<GoldenPage[K]>) =>
      page.evaluate(([m, a]) => (window as unknown as { ugatitGolden: Record<string, (...x: unknown[]) => unknown> }).ugatitGolden[m]!(...a),
        [method, args] as const) as Promise<Awaited<ReturnType<GoldenPage[K]>>>;

    beforeAll(async () => {
      try {
        if (!existsSync(CHROMIUM)) {
          throw new Error(`browser test: no Chromium at ${CHROMIUM}. Install it with 'apt-get install -y chromium' `
            + "(npm test does this through scripts/ensure-chromium.mjs when run as root), or set CHROMIUM_PATH.");
        }
        server = await startPageServer();
        profileDir = mkdtempSync(join(tmpdir(), 'ugatit-chromium-'));
        context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
        page = context.pages()[0] ?? await context.newPage();
        page.on('pageerror', (e) => pageErrors.push(String(e)));
        page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
        await page.goto(server.url);
        await page.waitForFunction(() => 'ugatitGolden' in window, null, { timeout: 60_000 })
          .catch((e) => { throw new Error(`test page did not load: ${pageErrors.join(' | ') || String(e)}`); });
        info = await call('info', backend).catch((e) => { throw new Error(`${backend} did not start in Chromium: ${e instanceof Error ? e.message : String(e)}`); });
        // Without float32 render targets tfjs falls back to float16 textures (~3 significant
        // digits), far outside the golden bounds: a failure, never a looser bound.
        if (backend === 'webgl' && !info.renderFloat32) {
          throw new Error(`webgl on ${info.adapter} has no float32 render targets (WEBGL_RENDER_FLOAT32_ENABLED is false: `
            + 'no EXT_color_buffer_float), so tfjs would compute in float16; run on a GPU and driver that offer them, '
            + 'or on SwiftShader (--use-angle=swiftshader)');
        }
      } catch (e) {
        setupError = e instanceof Error ? e : new Error(String(e));
      }
    }, 180_000);

    afterAll(async () => {
      await context?.close();
      await server?.close();
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
    });

    it(`starts ${backend} with float32 arithmetic`, () => {
      ready();
      expect(info!.backend).toBe(backend);
      console.log(`${backend} on ${info!.adapter}${info!.webglVersion ? `, WebGL ${info!.webglVersion}, float32 render targets` : ''}`);
    });

    it.each(FORWARD_FIXTURES)('reproduces %s', { timeout: 300_000 }, async (name) => {
      ready();
      const run = await call('forward', backend, name, manifest[name]) as Run<ForwardMeasurements>;
      kernels.add('inference', run.kernels);
      console.log(`${backend} ${name} (${run.seconds.toFixed(1)} s): ${forwardSummary(run.result)}`);
      expect(forwardFailures(name, run.result)).toEqual([]);
      expect(run.leaked, 'tensors left behind').toBe(0);
      expect(pageErrors).toEqual([]);
    });

    it.each(trainingRuns)('reproduces %s, %i step(s): every loss term, gradient, parameter and buffer (and Adam moment)', { timeout: 900_000 }, async (fixture, steps) => {
      ready();
      const run = await call('training', backend, fixture, readTrainingMeta(fixture), steps) as Run<StepComparison[]>;
      kernels.add('training', run.kernels);
      console.log([`${backend} ${fixture} (${run.seconds.toFixed(1)} s)`, ...run.result.map(stepSummary)].join('\n  '));
      expect(run.result.map((s) => s.step)).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(run.result.flatMap((s, i) => boundViolations(s, GOLDEN_BOUNDS[fixture][backend][i]!))).toEqual([]);
      expect(run.leaked, 'tensors left behind').toBe(0);
      expect(pageErrors).toEqual([]);
    });

    it(`ran every kernel U-GAT-IT uses, all on ${backend}`, () => {
      ready();
      expect(kernels.count('inference'), 'forward checks recorded').toBe(FORWARD_FIXTURES.length);
      expect(kernels.count('training'), 'training checks recorded').toBe(trainingRuns.length);
      expectKernelsUsed(backend, kernels);
    });
  });
}
