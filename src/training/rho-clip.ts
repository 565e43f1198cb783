import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Clips every ρ of AdaLIN and ILN in `model` into [0, 1], as the reference's `RhoClipper`
 * does after each generator step. Needed because tfjs-layers never applies weight
 * constraints during training.
 *
 * @returns how many ρ weights (one tensor per AdaLIN/ILN layer) it clamped into [0, 1].
 * @example
 * ```ts
 * clipRhoWeights(genA2B);
 * ```
 */
export function clipRhoWeights(model: tfl.LayersModel): number {
  const rhos = model.weights.filter((w) => /(^|\/)rho$/.test(w.originalName));
  for (const rho of rhos) tf.tidy(() => { rho.write(tf.clipByValue(rho.read(), 0, 1)); });
  return rhos.length;
}
