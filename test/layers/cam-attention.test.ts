import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { CAMAttention, applyCAMAttention, camAttention } from '../../src/layers/cam-attention';
import { spectralNormalizeKernel } from '../../src/layers/spectral-norm';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { relativeError } from './norm-reference';

const weight = (layer: CAMAttention, name: string) => layer.weights.find((w) => w.originalName.endsWith(`/${name}`))!.read();

/** The reference's forward written out: concatenation of the re-weighted features, then a 2C→C 1×1 conv. */
function referenceCam(x: tf.Tensor4D, gapLogitKernel: tf.Tensor2D, gmpLogitKernel: tf.Tensor2D, gapScale: tf.Tensor2D,
  gmpScale: tf.Tensor2D, kernel: tf.Tensor4D, bias: tf.Tensor1D, leaky: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const camLogit = tf.concat([tf.matMul(tf.mean(x, [1, 2]), gapLogitKernel), tf.matMul(tf.max(x, [1, 2]), gmpLogitKernel)], 1);
    const cat = tf.concat([tf.mul(x, tf.reshape(gapScale, [-1])), tf.mul(x, tf.reshape(gmpScale, [-1]))], 3) as tf.Tensor4D;
    const pre = tf.add(tf.conv2d(cat, kernel, 1, 'valid'), bias);
    const features = leaky ? tf.leakyRelu(pre, 0.2) : tf.relu(pre);
    return [features, camLogit, tf.sum(features, 3, true)];
  });
}

describeEachBackend('CAMAttention on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract as the generator variant (ReLU, plain logit weights)', async () => {
    const { config } = await expectLayerContract({
      make: () => camAttention({ name: 'cam' }),
      inputShapes: [[2, 3, 4, 5]],
      outputShapes: [[2, 3, 4, 5], [2, 2], [2, 3, 4, 1]],
      trainableWeights: 4,
    });
    expect(config).toMatchObject({ activation: 'relu', spectralNorm: false });
  });

  it.each([true, false])('passes the layer contract as the discriminator variant (training %s)', async (training) => {
    const { config } = await expectLayerContract({
      make: () => camAttention({ activation: 'leakyRelu', spectralNorm: true, name: 'cam' }),
      inputShapes: [[2, 3, 3, 4]],
      outputShapes: [[2, 3, 3, 4], [2, 2], [2, 3, 3, 1]],
      trainableWeights: 4,
      nonTrainableWeights: 4,
      kwargs: { training },
    });
    expect(config).toMatchObject({ activation: 'leakyRelu', spectralNorm: true });
  });

  it('the generator variant equals the reference concatenation formula', () => {
    const layer = camAttention();
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 51) as tf.Tensor4D;
    const out = layer.apply(x) as tf.Tensor[];
    const gap = weight(layer, 'gap_fc_kernel') as tf.Tensor2D;
    const gmp = weight(layer, 'gmp_fc_kernel') as tf.Tensor2D;
    const expected = referenceCam(x, gap, gmp, gap, gmp, weight(layer, 'conv1x1_kernel') as tf.Tensor4D,
      weight(layer, 'conv1x1_bias') as tf.Tensor1D, false);
    out.forEach((t, i) => expect(relativeError(t.dataSync(), expected[i].dataSync()), `output ${i}`).toBeLessThan(1e-5));
    tf.dispose([x, ...out, ...expected]);
    layer.dispose();
  });

  it('the discriminator variant normalises the logit weights but scales the channels by the raw ones (reference quirk)', () => {
    const layer = camAttention({ activation: 'leakyRelu', spectralNorm: true });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 52) as tf.Tensor4D;
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor[]);
    const out = layer.apply(x) as tf.Tensor[];
    const expected = tf.tidy(() => {
      const sn = (k: string, u: string, v: string) => spectralNormalizeKernel(weight(layer, k), weight(layer, u) as tf.Tensor1D,
        weight(layer, v) as tf.Tensor1D) as tf.Tensor2D;
      return referenceCam(x, sn('gap_fc_kernel', 'gap_fc_u', 'gap_fc_v'), sn('gmp_fc_kernel', 'gmp_fc_u', 'gmp_fc_v'),
        weight(layer, 'gap_fc_kernel') as tf.Tensor2D, weight(layer, 'gmp_fc_kernel') as tf.Tensor2D,
        weight(layer, 'conv1x1_kernel') as tf.Tensor4D, weight(layer, 'conv1x1_bias') as tf.Tensor1D, true).map(tf.keep);
    });
    out.forEach((t, i) => expect(relativeError(t.dataSync(), expected[i].dataSync()), `output ${i}`).toBeLessThan(1e-5));
    // With the normalised weights for the scaling too, the features would differ.
    const normalisedScaling = tf.tidy(() => applyCAMAttention(x, {
      gapLogitKernel: weight(layer, 'gap_fc_kernel') as tf.Tensor2D, gmpLogitKernel: weight(layer, 'gmp_fc_kernel') as tf.Tensor2D,
      gapScale: tf.div(weight(layer, 'gap_fc_kernel'), 3) as tf.Tensor2D, gmpScale: tf.div(weight(layer, 'gmp_fc_kernel'), 3) as tf.Tensor2D,
      convKernel: weight(layer, 'conv1x1_kernel') as tf.Tensor4D, convBias: weight(layer, 'conv1x1_bias') as tf.Tensor1D,
    }, 'leakyRelu').features);
    expect(relativeError(normalisedScaling.dataSync(), out[0].dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, ...out, ...expected, normalisedScaling]);
    layer.dispose();
  });

  it('the discriminator variant changes u, v with training: true and keeps them with training: false', () => {
    const layer = camAttention({ activation: 'leakyRelu', spectralNorm: true });
    const x = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 53);
    const state = () => ['gap_fc_u', 'gap_fc_v', 'gmp_fc_u', 'gmp_fc_v'].map((n) => Array.from(weight(layer, n).dataSync()));
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor[]);
    const s0 = state();
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor[]);
    tf.dispose(layer.apply(x) as tf.Tensor[]);
    expect(state()).toEqual(s0);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor[]);
    const s1 = state();
    // v of a [C, 1] weight becomes ±w/‖w‖ after one iteration: a change for random initial v.
    expect(s1[1]).not.toEqual(s0[1]);
    expect(s1[3]).not.toEqual(s0[3]);
    const w = Array.from(weight(layer, 'gap_fc_kernel').dataSync());
    const norm = Math.hypot(...w);
    expect(relativeError(s1[1].map((e) => e * Math.sign(s0[0][0])), w.map((e) => e / norm))).toBeLessThan(1e-5);
    tf.dispose(x);
    layer.dispose();
  });

  it.each([
    { args: { sharedFc: true }, trainable: 4, nonTrainable: 0, shape: [2, 3, 4, 5] },
    { args: { sharedFc: true, separateLogitFc: true }, trainable: 6, nonTrainable: 0, shape: [2, 3, 4, 5] },
    { args: { sharedFc: true, spectralNorm: true, normalizedScale: true, iterateInInference: true, activation: 'leakyRelu' as const }, trainable: 4, nonTrainable: 2, shape: [2, 3, 3, 4] },
  ])('passes the layer contract in the TensorFlow layouts ($args)', async ({ args, trainable, nonTrainable, shape }) => {
    const { config } = await expectLayerContract({
      make: () => camAttention({ ...args, name: 'cam' }),
      inputShapes: [shape],
      outputShapes: [shape, [shape[0]!, 2], [...shape.slice(0, 3), 1]],
      trainableWeights: trainable,
      nonTrainableWeights: nonTrainable,
    });
    expect(config).toMatchObject(args);
  });

  it('sharedFc: one FC with a bias gives both logits, and w + b re-weights both halves (TensorFlow generator)', () => {
    const layer = camAttention({ sharedFc: true });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 54) as tf.Tensor4D;
    const out = layer.apply(x) as tf.Tensor[];
    const expected = tf.tidy(() => {
      const w = weight(layer, 'fc_kernel') as tf.Tensor2D;
      const b = weight(layer, 'fc_bias');
      const scale = tf.add(w, b) as tf.Tensor2D;
      const [features, logit, heatmap] = referenceCam(x, w, w, scale, scale, weight(layer, 'conv1x1_kernel') as tf.Tensor4D,
        weight(layer, 'conv1x1_bias') as tf.Tensor1D, false);
      return [features, tf.add(logit, b), heatmap].map(tf.keep);
    });
    out.forEach((t, i) => expect(relativeError(t.dataSync(), expected[i].dataSync()), `output ${i}`).toBeLessThan(1e-5));
    tf.dispose([x, ...out, ...expected]);
    layer.dispose();
  });

  it('separateLogitFc: the logits come from their own FC, fc only re-weights (TensorFlow before 2019-08-20)', () => {
    const layer = camAttention({ sharedFc: true, separateLogitFc: true });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 55) as tf.Tensor4D;
    const out = layer.apply(x) as tf.Tensor[];
    const expected = tf.tidy(() => {
      const scale = tf.add(weight(layer, 'fc_kernel'), weight(layer, 'fc_bias')) as tf.Tensor2D;
      const lw = weight(layer, 'logit_fc_kernel') as tf.Tensor2D;
      const [features, logit, heatmap] = referenceCam(x, lw, lw, scale, scale, weight(layer, 'conv1x1_kernel') as tf.Tensor4D,
        weight(layer, 'conv1x1_bias') as tf.Tensor1D, false);
      return [features, tf.add(logit, weight(layer, 'logit_fc_bias')), heatmap].map(tf.keep);
    });
    out.forEach((t, i) => expect(relativeError(t.dataSync(), expected[i].dataSync()), `output ${i}`).toBeLessThan(1e-5));
    tf.dispose([x, ...out, ...expected]);
    layer.dispose();
  });

  it.each([true, false])('TensorFlow discriminator: logits pool·w/‖w‖ + b, re-weighting by w/‖w‖ + b (normalizedScale %s: raw w + b), u := sign(u) on every call', (normalizedScale) => {
    const layer = camAttention({ activation: 'leakyRelu', spectralNorm: true, sharedFc: true, normalizedScale, iterateInInference: true });
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 56) as tf.Tensor4D;
    tf.dispose(layer.apply(x) as tf.Tensor[]);
    tf.tidy(() => { layer.weights.find((w) => w.originalName.endsWith('/fc_u'))!.write(tf.tensor1d([-0.3])); });
    const out = layer.apply(x) as tf.Tensor[];
    expect(Array.from(weight(layer, 'fc_u').dataSync())).toEqual([-1]);
    const expected = tf.tidy(() => {
      const w = weight(layer, 'fc_kernel') as tf.Tensor2D;
      const b = weight(layer, 'fc_bias');
      const sn = tf.div(w, tf.norm(w)) as tf.Tensor2D;
      const scale = tf.add(normalizedScale ? sn : w, b) as tf.Tensor2D;
      const [features, logit, heatmap] = referenceCam(x, sn, sn, scale, scale, weight(layer, 'conv1x1_kernel') as tf.Tensor4D,
        weight(layer, 'conv1x1_bias') as tf.Tensor1D, true);
      return [features, tf.add(logit, b), heatmap].map(tf.keep);
    });
    out.forEach((t, i) => expect(relativeError(t.dataSync(), expected[i].dataSync()), `output ${i}`).toBeLessThan(1e-5));
    tf.dispose([x, ...out, ...expected]);
    layer.dispose();
  });

  it('refuses option combinations no reference has, naming them', () => {
    expect(() => camAttention({ separateLogitFc: true })).toThrow(/separateLogitFc needs sharedFc and no spectralNorm/);
    expect(() => camAttention({ sharedFc: true, separateLogitFc: true, spectralNorm: true })).toThrow(/separateLogitFc needs sharedFc and no spectralNorm/);
    expect(() => camAttention({ normalizedScale: true })).toThrow(/normalizedScale needs spectralNorm/);
    expect(() => camAttention({ iterateInInference: true })).toThrow(/iterateInInference needs spectralNorm/);
  });

  it('rejects an unknown activation, naming it', () => {
    expect(() => new CAMAttention({ activation: 'gelu' as 'relu' })).toThrow(/activation must be 'relu' or 'leakyRelu', received "gelu"/);
  });
});
