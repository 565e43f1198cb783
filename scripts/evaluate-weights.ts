/**
 * Measures a pair of U-GAT-IT generators on the avatar test set, for the weights card:
 * share of A→B outputs a domain classifier (trained on real A vs real B) calls B, and of
 * B→A outputs it calls A; cycle L1 (A→B→A vs A and B→A→B vs B); identity L1 (B→A on A,
 * A→B on B). The same numbers for freshly initialised generators of the same
 * configuration are the baseline.
 *
 * Classifiers that all separate real A from real B perfectly can still disagree by tens of points
 * on translations, which sit near their decision boundary, depending only on their initial
 * weights. So one classifier is trained per seed in --seeds, each reports its own shares, and the
 * headline share is their mean.
 *
 *   npx tsx scripts/evaluate-weights.ts [--weights weights/avatars] --data data/avatars [--seeds 0,1,2,3] [--json out.json] [--grid out.png]
 *
 * --weights takes a folder with genA2B/ and genB2A/ (default: the shipped weights/avatars, scored
 * as users load them: float16), a training directory or a checkpoint (ckpt-*).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { createGenerator, encodePNG, sampleGrid, tensorToImage, heatmapToImage } from '../src';
import { packageWeightsDir } from '../src/io';
import { domainAccuracy, trainDomainClassifier } from '../src/metrics/domain-classifier';
import { loadFolder, resolveGenerators, translateAll } from './generator-evaluation';

const { values: v } = parseArgs({
  options: {
    weights: { type: 'string' }, data: { type: 'string', default: 'data/avatars' }, json: { type: 'string' },
    grid: { type: 'string' }, 'train-limit': { type: 'string', default: '600' }, seeds: { type: 'string', default: '0,1,2,3' },
  },
});
const seeds = v.seeds!.split(',').map((s) => {
  if (!/^\d+$/.test(s.trim())) throw new Error(`--seeds takes comma-separated non-negative integers, got "${v.seeds}"`);
  return Number(s);
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Translates the test sets once and scores them: the share each classifier assigns to the target
 * domain (and their mean), and the cycle and identity L1 terms, which do not depend on the classifier.
 */
function measure(genA2B: tfl.LayersModel, genB2A: tfl.LayersModel, testA: tf.Tensor4D, testB: tf.Tensor4D, classifiers: tfl.LayersModel[]) {
  const a2b = translateAll(genA2B, testA);
  const b2a = translateAll(genB2A, testB);
  const a2b2a = translateAll(genB2A, a2b);
  const b2a2b = translateAll(genA2B, b2a);
  const a2a = translateAll(genB2A, testA);
  const b2b = translateAll(genA2B, testB);
  const l1 = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(x, y))).dataSync()[0]);
  const a2bPerSeed = classifiers.map((c) => domainAccuracy(c, a2b, 'B'));
  const b2aPerSeed = classifiers.map((c) => domainAccuracy(c, b2a, 'A'));
  const result = {
    a2bClassifiedB: mean(a2bPerSeed), b2aClassifiedA: mean(b2aPerSeed), a2bClassifiedBPerSeed: a2bPerSeed, b2aClassifiedAPerSeed: b2aPerSeed,
    cycleL1A: l1(a2b2a, testA), cycleL1B: l1(b2a2b, testB), identityL1A: l1(a2a, testA), identityL1B: l1(b2b, testB),
  };
  tf.dispose([a2b, b2a, a2b2a, b2a2b, a2a, b2b]);
  return result;
}

await tf.setBackend('wasm');
const { genA2B, genB2A, from, dtype } = await resolveGenerators(v.weights ?? path.join(await packageWeightsDir(), 'avatars'));
const size = (genA2B.inputs[0].shape[1] as number);
const limit = Number(v['train-limit']);
console.log(`generators from ${from} (${dtype}), ${size} px; training the domain classifier on ${limit} + ${limit} real images`);
const [trainA, trainB, testA, testB] = await Promise.all(['trainA', 'trainB', 'testA', 'testB'].map((s) =>
  loadFolder(path.join(v.data!, s), size, s.startsWith('train') ? limit : Infinity)));
const classifiers: tfl.LayersModel[] = [];
for (const seed of seeds) {
  classifiers.push(await trainDomainClassifier(trainA, trainB, { epochs: 5, seed }));
  console.log(`classifier ${classifiers.length}/${seeds.length} (seed ${seed}) trained`);
}
const heldOut = {
  seeds,
  realAasA: classifiers.map((c) => domainAccuracy(c, testA, 'A')),
  realBasB: classifiers.map((c) => domainAccuracy(c, testB, 'B')),
};
tf.dispose([trainA, trainB]);
const trained = measure(genA2B, genB2A, testA, testB, classifiers);
const c = genA2B.getLayer('stem_conv').getWeights()[0].shape;
const config = { ngf: c[3], nBlocks: genA2B.layers.filter((l) => /^enc_res_\d+_add$/.test(l.name)).length, imgSize: size,
  light: genA2B.layers.some((l) => l.name === 'mlp_pool') };
const baseline = measure(createGenerator({ ...config, name: 'a' }), createGenerator({ ...config, name: 'b' }), testA, testB, classifiers);
const report = { weights: from, dtype, testImages: { A: testA.shape[0], B: testB.shape[0] }, classifierHeldOut: heldOut, trained, baseline };
console.log(JSON.stringify(report, null, 2));
if (v.json) await writeFile(v.json, JSON.stringify(report, null, 2) + '\n');
if (v.grid) {
  // Rows: real A, heatmap A→B, A→B, real B, heatmap B→A, B→A (8 test images each).
  const sheet = tf.tidy(() => {
    const n = 8;
    const row = (t: tf.Tensor4D) => tf.unstack(tf.div(tf.add(tf.slice(t, 0, n), 1), 2)) as tf.Tensor3D[];
    const [fa, , ha] = genA2B.predict(tf.slice(testA, 0, n)) as tf.Tensor4D[];
    const [fb, , hb] = genB2A.predict(tf.slice(testB, 0, n)) as tf.Tensor4D[];
    const heats = (h: tf.Tensor4D) => tf.unstack(h).map((x) => heatmapToImage(x, size));
    return sampleGrid([row(testA), heats(ha), row(fa), row(testB), heats(hb), row(fb)]);
  });
  await writeFile(v.grid, encodePNG(tensorToImage(sheet, [0, 1])));
  console.log(`grid written to ${v.grid}`);
}
