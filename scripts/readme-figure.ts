/**
 * The README's picture: for the bundled samples of each domain, the input, the generator's CAM
 * attention over its output, and the translation; A→B on the left, B→A on the right.
 *
 *   npx tsx scripts/readme-figure.ts [--weights weights/avatars] [--out docs/images/readme-hero.png]
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { encodePNG, imageToTensor, decodeImage, loadGeneratorsFromDir, resizeBilinear, sampleGrid, tensorToImage, translate } from '../src';

const { values: v } = parseArgs({
  options: {
    weights: { type: 'string', default: 'weights/avatars' },
    out: { type: 'string', default: 'docs/images/readme-hero.png' },
    size: { type: 'string', default: '128' },
  },
});
await tf.setBackend('wasm');
const size = Number(v.size);
const { genA2B, genB2A } = await loadGeneratorsFromDir(v.weights!);
const columns: tf.Tensor3D[][] = [];
for (const [dir, gen] of [['examples/samples/A', genA2B!], ['examples/samples/B', genB2A!]] as const) {
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.png')).sort()) {
    const bytes = new Uint8Array(await readFile(path.join(dir, name)));
    const input = tf.tidy(() => tf.div(tf.add(resizeBilinear(imageToTensor(decodeImage(bytes, name)), size), 1), 2) as tf.Tensor3D);
    const r = await translate(gen, bytes, { outputSize: [size, size] });
    const [overlay, output] = tf.tidy(() => [
      tf.squeeze(r.overlay, [0]) as tf.Tensor3D,
      tf.clipByValue(tf.div(tf.add(tf.squeeze(r.image, [0]), 1), 2), 0, 1) as tf.Tensor3D,
    ]);
    r.dispose();
    columns.push([input, overlay, output]);
  }
}
const rows = [0, 1, 2].map((i) => columns.map((c) => c[i]!));
const sheet = sampleGrid(rows);
await writeFile(v.out!, encodePNG(tensorToImage(sheet, [0, 1])));
tf.dispose([sheet, ...columns.flat()]);
console.log(`wrote ${v.out} (${rows[0]!.length} samples, ${size} px)`);
