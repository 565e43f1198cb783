/**
 * What the evaluation scripts share: loading an image folder as one tensor, resolving a weights
 * folder, training run or checkpoint to its pair of generators, and translating a set in batches.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeImage, findLatestCheckpoint, imageToTensor, loadGeneratorsFromDir, resizeBilinear } from '../src';

/** The PNG/JPEG files of `dir` (sorted by name, at most `limit`) as one [n, size, size, 3] tensor in [-1, 1]. */
export async function loadFolder(dir: string, size: number, limit = Infinity): Promise<tf.Tensor4D> {
  const names = (await readdir(dir)).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().slice(0, limit);
  if (names.length === 0) throw new Error(`no images in ${dir}`);
  const images = [];
  for (const name of names) {
    const img = decodeImage(new Uint8Array(await readFile(path.join(dir, name))), path.join(dir, name));
    images.push(tf.tidy(() => resizeBilinear(imageToTensor(img), size)));
  }
  const batch = tf.stack(images) as tf.Tensor4D;
  tf.dispose(images);
  return batch;
}

/** A pair of generators and where they came from. */
export interface ResolvedGenerators {
  genA2B: tfl.LayersModel;
  genB2A: tfl.LayersModel;
  /** The folder holding genA2B/ and genB2A/. */
  from: string;
  /** How the weights are stored: float16 or float32. */
  dtype: string;
}

/**
 * The generators of `dir`: a folder with genA2B/ and genB2A/ (shipped weights or one checkpoint,
 * ckpt-*), or a training directory (its newest checkpoint).
 */
export async function resolveGenerators(dir: string): Promise<ResolvedGenerators> {
  let folder = dir;
  if (!existsSync(path.join(folder, 'genA2B', 'model.json'))) {
    const latest = await findLatestCheckpoint(dir);
    if (!latest) throw new Error(`no generators in ${dir}`);
    folder = latest;
  }
  const { genA2B, genB2A, provenance } = await loadGeneratorsFromDir(folder);
  const manifest = JSON.parse(await readFile(path.join(folder, 'genA2B', 'model.json'), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ quantization?: { dtype: string } }> }> };
  const dtype = manifest.weightsManifest[0]!.weights.some((w) => w.quantization?.dtype === 'float16') ? 'float16' : 'float32';
  if (provenance?.dtype !== undefined && provenance.dtype !== dtype) throw new Error(`${folder}: provenance says ${provenance.dtype}, the files are ${dtype}`);
  return { genA2B: genA2B!, genB2A: genB2A!, from: folder, dtype };
}

/** The generator's translations (its first output) of every image, `batch` at a time. */
export function translateAll(model: tfl.LayersModel, images: tf.Tensor4D, batchSize = 10): tf.Tensor4D {
  const [image, ...rest] = model.predict(images, { batchSize }) as tf.Tensor[];
  tf.dispose(rest);
  return image as tf.Tensor4D;
}
