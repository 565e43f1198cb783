/**
 * Draws a training run's loss curves from its log.jsonl as a PNG (no plotting library):
 * three panels, top to bottom — discriminator loss, generator loss, cycle L1 (mean of A and B) —
 * each a moving average (light: raw values), scaled to its own min–max, with 10 grid lines.
 * Iterations logged twice (a run resumed from an earlier checkpoint) keep their last entry.
 * Prints the numbers the picture cannot: ranges, first/last averages, training seconds.
 *
 *   npx tsx scripts/plot-losses.ts --log runs/avatars/log.jsonl --out weights/avatars/loss-curve.png
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { encodePNG } from '../src/data/image-codec';

const { values: v } = parseArgs({
  options: { log: { type: 'string' }, out: { type: 'string' }, window: { type: 'string', default: '25' } },
});
if (!v.log || !v.out) throw new Error('usage: --log <log.jsonl> --out <png>');
const rows = new Map<number, Record<string, number>>();
let allSeconds = 0;
for (const line of (await readFile(v.log, 'utf8')).split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line) as Record<string, number>;
  if (typeof r.iteration !== 'number' || typeof r.D_loss !== 'number') continue;
  allSeconds += r.seconds ?? 0;
  rows.set(r.iteration, r);
}
const entries = [...rows.values()].sort((a, b) => a.iteration - b.iteration);
const series = {
  D_loss: entries.map((r) => r.D_loss),
  G_loss: entries.map((r) => r.G_loss),
  cycle: entries.map((r) => (r.G_recon_A + r.G_recon_B) / 2),
};
const W = 900, PANEL = 180, GAP = 12, H = 3 * PANEL + 4 * GAP;
const px = new Uint8Array(W * H * 3).fill(255);
const set = (x: number, y: number, c: [number, number, number]) => {
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  px.set(c, (Math.round(y) * W + Math.round(x)) * 3);
};
const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number]) => {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= n; i++) set(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * i) / n, c);
};
const smooth = (a: number[], k: number) => a.map((_, i) => {
  const s = a.slice(Math.max(0, i - k + 1), i + 1);
  return s.reduce((p, q) => p + q, 0) / s.length;
});
const colours: Array<[number, number, number]> = [[200, 40, 40], [40, 90, 200], [30, 150, 60]];
const k = Number(v.window);
Object.values(series).forEach((raw, p) => {
  const top = GAP + p * (PANEL + GAP);
  const avg = smooth(raw, k);
  const lo = Math.min(...raw), hi = Math.max(...raw);
  const y = (val: number) => top + PANEL - ((val - lo) / (hi - lo || 1)) * PANEL;
  const x = (i: number) => 10 + (i / Math.max(1, raw.length - 1)) * (W - 20);
  for (let g = 0; g <= 10; g++) line(10, top + (g * PANEL) / 10, W - 10, top + (g * PANEL) / 10, [232, 232, 232]);
  const faint = colours[p]!.map((c) => Math.round(c + (255 - c) * 0.75)) as [number, number, number];
  for (let i = 1; i < raw.length; i++) line(x(i - 1), y(raw[i - 1]!), x(i), y(raw[i]!), faint);
  for (let i = 1; i < avg.length; i++) line(x(i - 1), y(avg[i - 1]!), x(i), y(avg[i]!), colours[p]!);
  line(10, top + PANEL, W - 10, top + PANEL, [120, 120, 120]);
});
await writeFile(v.out, encodePNG({ width: W, height: H, channels: 3, data: px }));
const summary = Object.fromEntries(Object.entries(series).map(([name, raw]) => {
  const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
  return [name, { min: Math.min(...raw), max: Math.max(...raw), first100: mean(raw.slice(0, 100)), last100: mean(raw.slice(-100)) }];
}));
const kept = entries.reduce((s, r) => s + (r.seconds ?? 0), 0);
console.log(JSON.stringify({ iterations: entries.length, trainingSeconds: kept, allSecondsIncludingRedone: allSeconds, summary }, null, 2));
