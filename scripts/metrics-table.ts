/**
 * A metrics table for one or more pairs of generators on a hold-out set, with calibration rows,
 * and a picture grid of 16 fixed hold-out inputs per pair:
 *
 *   npx tsx scripts/metrics-table.ts --data data/avatars-val --features weights/style-features \
 *     --weights weights/avatars --weights runs/v2-128/ckpt-00002000 [--out out/metrics] [--backend tensorflow]
 *     [--critic-seeds 0,1] [--critic-epochs 15] [--judge-seeds 0,1,2,3] [--kid-subsets 100] [--kid-subset-size 100]
 *
 * The hold-out images of each domain (testX/ then trainX/ of --data, 128 px) are split into two
 * halves by alternating index: the first half is translated (or altered, for calibration), the
 * second is the real reference. Every row compares a query set of the first half with the
 * reference half of its target domain:
 * - KID×100 on the style feature network's features (kid(), src/metrics/kid.ts; not comparable
 *   with Inception KID), mean ± std over random subsets;
 * - a classifier two-sample test (twoSampleTest()): held-out accuracy of a fresh critic telling the
 *   query set from the reference, mean over --critic-seeds; 50% = indistinguishable;
 * - the style judge: the share of the query set that domain classifiers trained on the two
 *   reference halves (real A vs real B; one per --judge-seed) assign to the target domain, mean.
 *
 * Calibration rows: real vs real (the two halves of B, and of A), real A vs real B, real B blurred
 * (Gaussian, σ = 1 px at 128 px), real B resampled to 96 px and back. A generator's inputs are
 * resized to its own size; the metrics' networks resize everything to 64 px.
 *
 * Writes <out>/metrics.json and <out>/metrics.md (after the calibration rows and again after each
 * pair, so a long run keeps what it measured) and <out>/grid-<name>.png (rows: real A, A→B,
 * real B, B→A; outputs shown at 128 px).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';
import { encodePNG, resizeBilinear, sampleGrid, tensorToImage } from '../src/data';
import { loadLayersModelFromDir } from '../src/io/file-handler';
import { domainAccuracy, trainDomainClassifier } from '../src/metrics/domain-classifier';
import { kid } from '../src/metrics/kid';
import { predictInBatches, styleFeatureExtractor } from '../src/metrics/style-features';
import { twoSampleTest } from '../src/metrics/two-sample';
import { loadFolder, resolveGenerators, translateAll } from './generator-evaluation';

const { values: v } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/avatars-val' }, features: { type: 'string', default: 'weights/style-features' },
    weights: { type: 'string', multiple: true, default: ['weights/avatars'] }, out: { type: 'string', default: 'out/metrics' },
    backend: { type: 'string', default: 'tensorflow' }, 'critic-seeds': { type: 'string', default: '0,1' },
    'critic-epochs': { type: 'string', default: '15' },
    'judge-seeds': { type: 'string', default: '0,1,2,3' }, 'kid-subsets': { type: 'string', default: '100' },
    'kid-subset-size': { type: 'string', default: '100' },
  },
  strict: true,
});
const ints = (name: string, s: string) => s.split(',').map((x) => {
  if (!/^\d+$/.test(x.trim())) throw new Error(`--${name} takes comma-separated non-negative integers, got "${s}"`);
  return Number(x);
});
const criticSeeds = ints('critic-seeds', v['critic-seeds']!);
const judgeSeeds = ints('judge-seeds', v['judge-seeds']!);
const [criticEpochs] = ints('critic-epochs', v['critic-epochs']!);
const [kidSubsets] = ints('kid-subsets', v['kid-subsets']!);
const [kidSubsetSize] = ints('kid-subset-size', v['kid-subset-size']!);
const SIZE = 128;
const GRID = 16;

console.log(`backend: ${await useCliBackend(v.backend!)}`);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

/** Every image of a domain: testX/ first (its first 16 are the grid's inputs), then trainX/. */
async function loadDomain(d: 'A' | 'B'): Promise<{ all: tf.Tensor4D; grid: tf.Tensor4D }> {
  const test = await loadFolder(path.join(v.data!, `test${d}`), SIZE);
  const train = await loadFolder(path.join(v.data!, `train${d}`), SIZE);
  const all = tf.concat([test, train]) as tf.Tensor4D;
  const grid = tf.slice(test, 0, GRID);
  tf.dispose([test, train]);
  return { all, grid };
}

/** Even indices → query half, odd → reference half. */
function halves(all: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  const n = all.shape[0];
  const idx = (r: number) => tf.tensor1d(Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === r), 'int32');
  return tf.tidy(() => [tf.gather(all, idx(0)) as tf.Tensor4D, tf.gather(all, idx(1)) as tf.Tensor4D]);
}

/** Separable Gaussian blur (σ in pixels, kernel radius 3σ) per channel, with edge padding by reflection. */
function gaussianBlur(images: tf.Tensor4D, sigma: number): tf.Tensor4D {
  return tf.tidy(() => {
    const r = Math.ceil(3 * sigma);
    const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma ** 2)));
    const s = w.reduce((a, b) => a + b, 0);
    const k = w.map((x) => x / s);
    const kh = tf.tile(tf.tensor4d(k, [1, 2 * r + 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
    const kv = tf.tile(tf.tensor4d(k, [2 * r + 1, 1, 1, 1]), [1, 1, 3, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(images, [[0, 0], [r, r], [r, r], [0, 0]], 'reflect');
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, kh, 1, 'valid'), kv, 1, 'valid') as tf.Tensor4D;
  });
}

const [domainA, domainB] = [await loadDomain('A'), await loadDomain('B')];
const [queryA, refA] = halves(domainA.all);
const [queryB, refB] = halves(domainB.all);
tf.dispose([domainA.all, domainB.all]);
console.log(`hold-out: A ${queryA.shape[0]} + ${refA.shape[0]}, B ${queryB.shape[0]} + ${refB.shape[0]} (${elapsed()})`);

const featureNet = await loadLayersModelFromDir(v.features!);
const extractor = styleFeatureExtractor(featureNet);
const features = (images: tf.Tensor4D) => predictInBatches(extractor, images);
const refFeatures = { A: features(refA), B: features(refB) };
const judges: Awaited<ReturnType<typeof trainDomainClassifier>>[] = [];
for (const seed of judgeSeeds) judges.push(await trainDomainClassifier(refA, refB, { epochs: 5, seed }));
console.log(`features and ${judges.length} style judges ready (${elapsed()})`);

/** One row: `query` against the reference half of `target`. */
interface Row { name: string; target: 'A' | 'B'; kid100: number; kidStd100: number; critic: number; criticPerSeed: number[]; judge: number; judgePerSeed: number[] }
async function score(name: string, query: tf.Tensor4D, target: 'A' | 'B'): Promise<Row> {
  const f = features(query);
  const k = kid(f, refFeatures[target], { subsets: kidSubsets, subsetSize: kidSubsetSize, seed: 0 });
  f.dispose();
  const ref = target === 'A' ? refA : refB;
  const criticPerSeed: number[] = [];
  for (const seed of criticSeeds) criticPerSeed.push((await twoSampleTest(query, ref, { epochs: criticEpochs, seed })).accuracy);
  const judgePerSeed = judges.map((j) => domainAccuracy(j, query, target));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = { name, target, kid100: 100 * k.mean, kidStd100: 100 * k.std, critic: mean(criticPerSeed), criticPerSeed, judge: mean(judgePerSeed), judgePerSeed };
  console.log(`${name}: KID×100 ${row.kid100.toFixed(2)} ± ${row.kidStd100.toFixed(2)}, critic ${(100 * row.critic).toFixed(1)}%, judge ${(100 * row.judge).toFixed(1)}% (${elapsed()})`);
  return row;
}

const rows: Row[] = [];
rows.push(await score('calibration: real B vs real B (two halves)', queryB, 'B'));
rows.push(await score('calibration: real A vs real A (two halves)', queryA, 'A'));
rows.push(await score('calibration: real A vs real B', queryA, 'B'));
const blurred = gaussianBlur(queryB, 1);
rows.push(await score('calibration: real B blurred (σ 1 px) vs real B', blurred, 'B'));
blurred.dispose();
const resampled = tf.tidy(() => resizeBilinear(resizeBilinear(queryB, 96), SIZE));
rows.push(await score('calibration: real B resampled to 96 px and back vs real B', resampled, 'B'));
resampled.dispose();

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const generators: Array<{ weights: string; from: string; dtype: string; size: number }> = [];
/** Writes metrics.json and metrics.md with the rows so far; returns the table. */
async function writeReport(): Promise<string> {
  const table = [
    '| row | KID×100 (own features) | two-sample critic | style judge: target domain |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.kid100.toFixed(2)} ± ${r.kidStd100.toFixed(2)} | ${pct(r.critic)} (${r.criticPerSeed.map(pct).join(' / ')}) | ${pct(r.judge)} |`),
  ].join('\n');
  const report = {
    data: v.data, features: v.features, backend: tf.getBackend(), counts: { queryA: queryA.shape[0], refA: refA.shape[0], queryB: queryB.shape[0], refB: refB.shape[0] },
    kid: { subsets: kidSubsets, subsetSize: kidSubsetSize }, criticSeeds, criticEpochs, judgeSeeds, generators, rows,
    command: `npx tsx scripts/metrics-table.ts ${process.argv.slice(2).join(' ')}`.trim(), date: new Date().toISOString(),
  };
  await writeFile(path.join(v.out!, 'metrics.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(path.join(v.out!, 'metrics.md'), table + '\n');
  return table;
}

await mkdir(v.out!, { recursive: true });
await writeReport();
for (const weights of v.weights!) {
  const { genA2B, genB2A, from, dtype } = await resolveGenerators(weights);
  const size = genA2B.inputs[0]!.shape[1] as number;
  const name = path.basename(from) === 'average' ? `${path.basename(path.dirname(from))}-average` : path.basename(from);
  const label = `${name} (${size} px, ${dtype})`;
  generators.push({ weights, from, dtype, size });
  const translate = (g: typeof genA2B, x: tf.Tensor4D) => {
    const input = resizeBilinear(x, size);
    const out = translateAll(g, input);
    input.dispose();
    return out;
  };
  const a2b = translate(genA2B, queryA);
  rows.push(await score(`${label}: A→B vs real B`, a2b, 'B'));
  a2b.dispose();
  const b2a = translate(genB2A, queryB);
  rows.push(await score(`${label}: B→A vs real A`, b2a, 'A'));
  b2a.dispose();
  const sheet = tf.tidy(() => {
    const row = (t: tf.Tensor4D) => tf.unstack(tf.div(tf.add(resizeBilinear(t, SIZE), 1), 2)) as tf.Tensor3D[];
    const fa = translate(genA2B, domainA.grid);
    const fb = translate(genB2A, domainB.grid);
    return sampleGrid([row(domainA.grid), row(fa), row(domainB.grid), row(fb)]);
  });
  const file = path.join(v.out!, `grid-${name}.png`);
  await writeFile(file, encodePNG(tensorToImage(sheet, [0, 1])));
  sheet.dispose();
  console.log(`grid written to ${file}`);
  genA2B.dispose();
  genB2A.dispose();
  await writeReport();
}

console.log(`\n${await writeReport()}\n`);
console.log(`written to ${v.out} (${elapsed()})`);
