/**
 * A new translator composed from ugatit-tf's layers and blocks: a shallower U-GAT-IT
 * generator (one downsampling, two residual blocks, one AdaLIN block) with a different head
 * (a 3×3 convolution and a sigmoid-scaled output), trained for a few gradient steps on an
 * identity objective, then used with translate().
 *
 *   npx tsx examples/custom-translator.ts
 *
 * In your project, import from 'ugatit-tf' instead of '../src'.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { pathToFileURL } from 'node:url';
import {
  camAttention, gammaBetaMLP, instanceNorm, paddedConv, resnetAdaLINBlock, resnetBlock, translate, upsampleBlock,
} from '../src/index';

/** Options of {@link main}. */
export interface CustomTranslatorOptions {
  /** Image side. Default 32. */
  size?: number;
  /** Base width. Default 8. */
  width?: number;
  /** Gradient steps. Default 3. */
  steps?: number;
  /** Backend. Default 'cpu'. */
  backend?: string;
}

/** Builds the custom generator: outputs [image, camLogit, heatmap] like createGenerator, so translate() works. */
export function buildCustomGenerator(size: number, width: number): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'image' });
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;
  let x = paddedConv(input, { filters: width, kernelSize: 7, padding: 3, name: 'stem' });
  x = relu(instanceNorm({ name: 'stem_norm' }).apply(x) as tfl.SymbolicTensor, 'stem_relu');
  x = paddedConv(x, { filters: width * 2, kernelSize: 3, strides: 2, padding: 1, name: 'down' });
  x = relu(instanceNorm({ name: 'down_norm' }).apply(x) as tfl.SymbolicTensor, 'down_relu');
  for (let i = 1; i <= 2; i++) x = resnetBlock(x, { name: `enc_res_${i}` });
  const [features, camLogit, heatmap] = camAttention({ activation: 'relu', name: 'cam' }).apply(x) as tfl.SymbolicTensor[];
  const { gamma, beta } = gammaBetaMLP(features!, { light: true });
  x = resnetAdaLINBlock(features!, gamma, beta, { name: 'dec_res_1' });
  x = upsampleBlock(x, { filters: width, name: 'up' });
  // A different head: 3×3 conv, then sigmoid mapped to [−1, 1].
  x = paddedConv(x, { filters: 3, kernelSize: 3, padding: 1, name: 'head' });
  const sig = tfl.layers.activation({ activation: 'sigmoid', name: 'head_sigmoid' }).apply(x) as tfl.SymbolicTensor;
  const image = tfl.layers.rescaling({ scale: 2, offset: -1, name: 'head_scale' }).apply(sig) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [image, camLogit!, heatmap!], name: 'customGenerator' });
}

/** Builds the generator, takes `steps` Adam steps on an L1 identity loss, translates one image. */
export async function main(options: CustomTranslatorOptions = {}): Promise<{ losses: number[]; outputShape: number[]; heatmapShape: number[] }> {
  const { size = 32, width = 8, steps = 3, backend = 'cpu' } = options;
  await tf.setBackend(backend);
  const generator = buildCustomGenerator(size, width);
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([2, size, size, 3], -1, 1, 'float32', 0) as tf.Tensor4D;
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(() => {
      const [y] = generator.apply(x, { training: true }) as tf.Tensor[];
      return tf.mean(tf.abs(tf.sub(y!, x))) as tf.Scalar;
    }, true)!;
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  const first = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
  const result = await translate(generator, first); // translate never disposes its input
  first.dispose();
  const out = { losses, outputShape: result.image.shape, heatmapShape: result.heatmap.shape };
  result.dispose();
  x.dispose();
  optimizer.dispose();
  generator.dispose();
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((r) => console.log(`identity L1 per step: ${r.losses.map((l) => l.toFixed(4)).join(' → ')}; output ${r.outputShape}, heatmap ${r.heatmapShape}`));
}
