import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { heatmapToImage, sampleGrid } from '../data/heatmap';

/**
 * The reference's sample sheet for one direction: one column per image, rows real,
 * A2A heatmap, A2A, A2B heatmap, A2B, A2B2A heatmap, A2B2A (for `forward` = A2B and
 * `backward` = B2A; swap them for the B sheet). RGB in [0, 1].
 *
 * @param real - `[N, S, S, C]` in [−1, 1].
 * @returns `[7·S, N·S, 3]` in [0, 1].
 * @example
 * ```ts
 * const sheet = translationSampleSheet(testA, genA2B, genB2A);
 * ```
 */
export function translationSampleSheet(real: tf.Tensor4D, forward: tfl.LayersModel, backward: tfl.LayersModel): tf.Tensor3D {
  return tf.tidy(() => {
    const size = real.shape[1];
    const run = (m: tfl.LayersModel, x: tf.Tensor) => m.predict(x) as tf.Tensor[];
    const [fake, , fakeHeat] = run(forward, real);
    const [cycle, , cycleHeat] = run(backward, fake);
    const [identity, , identityHeat] = run(backward, real);
    const images = (t: tf.Tensor) => tf.unstack(tf.div(tf.add(t, 1), 2)) as tf.Tensor3D[];
    const heats = (t: tf.Tensor) => tf.unstack(t).map((h) => heatmapToImage(h, size));
    return sampleGrid([
      images(real), heats(identityHeat), images(identity), heats(fakeHeat), images(fake), heats(cycleHeat), images(cycle),
    ]);
  });
}
