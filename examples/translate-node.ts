/**
 * Translates an image (or every image of a folder) with the provided avatar weights, or any
 * weights folder, and writes the translation and its attention heatmap overlay as PNGs.
 *
 *   npx tsx examples/translate-node.ts [input] [outDir]
 *
 * In your project, import from 'ugatit-tf' instead of '../src'.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { batchToImages, encodePNG, listImages, loadGeneratorsFromDir, loadPretrained, translate } from '../src/index';

/** Options of {@link main}. */
export interface TranslateNodeOptions {
  /** An image file or a folder of images. Default examples/samples/A. */
  input?: string;
  /** Output folder. Default out/translate-node. */
  out?: string;
  /** A weights folder (`<dir>/genA2B`, `<dir>/genB2A`); default the provided 'avatars' weights. */
  weights?: string;
  /** 'a2b' (default) or 'b2a'. */
  direction?: 'a2b' | 'b2a';
  /** Backend. Default 'cpu' ('wasm' is faster: import '@tensorflow/tfjs-backend-wasm' first). */
  backend?: string;
}

/** Translates the inputs; returns the files written. */
export async function main(options: TranslateNodeOptions = {}): Promise<string[]> {
  const { input = 'examples/samples/A', out = 'out/translate-node', direction = 'a2b', backend = 'cpu' } = options;
  await tf.setBackend(backend);
  const weights = options.weights ? await loadGeneratorsFromDir(options.weights, direction) : await loadPretrained('avatars', { direction });
  const generator = direction === 'a2b' ? weights.genA2B! : weights.genB2A!;
  const files = (await fs.stat(input)).isDirectory() ? await listImages(input) : [input];
  await fs.mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    // A path works directly; Uint8Array bytes, tensors and (in browsers) image elements too.
    const result = await translate(generator, file);
    const name = path.basename(file, path.extname(file));
    const [image] = batchToImages(result.image); // [-1, 1] -> 8-bit
    const [overlay] = batchToImages(result.overlay, [0, 1]);
    result.dispose();
    for (const [suffix, img] of [['', image!], ['_attention', overlay!]] as const) {
      const target = path.join(out, `${name}${suffix}.png`);
      await fs.writeFile(target, encodePNG(img));
      written.push(target);
    }
  }
  generator.dispose();
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main({ input: process.argv[2], out: process.argv[3] }).then((files) => console.log(`wrote ${files.join(', ')}`));
}
