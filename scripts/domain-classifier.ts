/**
 * Trains the A-vs-B domain classifier on <data>/trainA, trainB and reports its held-out accuracy
 * on <data>/testA, testB.
 *
 *   npx tsx scripts/domain-classifier.ts --data data/avatars [--epochs 5] [--limit 1000]
 *     [--backend wasm|cpu] [--seed 0]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  DOMAIN_CLASSIFIER_SIZE,
  domainAccuracy,
  trainDomainClassifier,
} from '../src/metrics/domain-classifier';

/**
 * Loads up to `limit` PNGs of a folder (sorted by name) as one [n, S, S, 3] float tensor in
 * [-1, 1], already resized to the classifier's size so large sets stay small in memory.
 */
async function loadFolder(dir: string, limit: number): Promise<tf.Tensor4D> {
  const names = (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.png')).sort().slice(0, limit);
  if (names.length === 0) throw new Error(`no .png files in ${dir}`);
  const S = DOMAIN_CLASSIFIER_SIZE;
  const tiles: tf.Tensor4D[] = [];
  for (const name of names) {
    const png = PNG.sync.read(await readFile(join(dir, name)));
    const rgb = new Float32Array(png.width * png.height * 3);
    for (let p = 0; p < png.width * png.height; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = png.data[p * 4 + c] / 127.5 - 1;
    }
    tiles.push(
      tf.tidy(() => {
        const img = tf.tensor4d(rgb, [1, png.height, png.width, 3]);
        return png.width === S && png.height === S ? img : tf.image.resizeBilinear(img, [S, S], true);
      }),
    );
  }
  const all = tf.concat(tiles, 0);
  tf.dispose(tiles);
  return all;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: 'data/avatars' },
      epochs: { type: 'string', default: '5' },
      limit: { type: 'string', default: '1000' },
      backend: { type: 'string', default: 'wasm' },
      seed: { type: 'string', default: '0' },
    },
  });
  const backend = values.backend!;
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);
  if (!(await tf.setBackend(backend))) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
  const limit = Number(values.limit);
  const data = values.data!;

  const t0 = Date.now();
  const [trainA, trainB, testA, testB] = await Promise.all(
    ['trainA', 'trainB', 'testA', 'testB'].map((s) => loadFolder(join(data, s), limit)),
  );
  console.log(
    `loaded train ${trainA.shape[0]}+${trainB.shape[0]}, test ${testA.shape[0]}+${testB.shape[0]} ` +
      `in ${((Date.now() - t0) / 1000).toFixed(1)}s (backend ${tf.getBackend()})`,
  );

  const t1 = Date.now();
  const model = await trainDomainClassifier(trainA, trainB, {
    epochs: Number(values.epochs),
    seed: Number(values.seed),
    onEpochEnd: (e, l) => console.log(`epoch ${e + 1}: loss ${l.loss.toFixed(4)} train acc ${l.acc.toFixed(4)}`),
  });
  console.log(`trained in ${((Date.now() - t1) / 1000).toFixed(1)}s`);

  const accA = domainAccuracy(model, testA, 'A');
  const accB = domainAccuracy(model, testB, 'B');
  const nA = testA.shape[0];
  const nB = testB.shape[0];
  console.log(`held-out accuracy: testA ${(accA * 100).toFixed(1)}% (${Math.round(accA * nA)}/${nA}), ` +
    `testB ${(accB * 100).toFixed(1)}% (${Math.round(accB * nB)}/${nB}), ` +
    `mean ${(((accA * nA + accB * nB) / (nA + nB)) * 100).toFixed(1)}%`);
  tf.dispose([trainA, trainB, testA, testB]);
  model.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
