import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Summary {
  seconds: number;
  samples: Array<{ images: number; rssMB: number; numTensors: number }>;
  slopeMBPer100: number | null;
  growth: number | null;
}

describe('memory: RSS of a CLI folder run (scripts/rss-soak.ts in a fresh process)', () => {
  it('200 PNGs through translate --heatmap on wasm: RSS grows < 20 % from the 100th image to the last, tensors flat', () => {
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const out = execFileSync(process.execPath, [tsx, 'scripts/rss-soak.ts', '--count', '200', '--size', '64', '--every', '25', '--json'], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
    });
    const line = out.split('\n').find((l) => l.startsWith('RSS_SOAK '));
    expect(line, out).toBeDefined();
    const summary = JSON.parse(line!.slice('RSS_SOAK '.length)) as Summary;
    const series = summary.samples.map((s) => `${s.images}: ${s.rssMB.toFixed(1)} MB`).join(', ');
    console.log(`RSS over ${summary.samples.at(-1)?.images} images (${summary.seconds.toFixed(1)} s): ${series}; `
      + `slope ${summary.slopeMBPer100?.toFixed(2)} MB per 100 images`);
    expect(summary.samples.map((s) => s.images)).toEqual([25, 50, 75, 100, 125, 150, 175, 200]);
    // Exact: every image's tensors are freed. Loose: RSS includes the allocator's and GC's moods.
    expect(new Set(summary.samples.map((s) => s.numTensors)).size).toBe(1);
    expect(summary.growth!, series).toBeLessThan(0.2);
  }, 150_000);
});
