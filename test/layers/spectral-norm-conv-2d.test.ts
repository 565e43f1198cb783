import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { SpectralNormConv2D, spectralNormConv2D } from '../../src/layers/spectral-norm-conv-2d';
import { spectralSigma } from '../../src/layers/spectral-norm';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { relativeError } from './norm-reference';
import { conv2dJs, finiteDifferences, powerIterationJs, sigmaJs } from './spectral-reference';

const weight = (layer: SpectralNormConv2D, name: string) => layer.weights.find((w) => w.originalName.endsWith(`/${name}`))!;
const values = (layer: SpectralNormConv2D, name: string) => Array.from(weight(layer, name).read().dataSync());

describeEachBackend('SpectralNormConv2D on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([true, false])('passes the layer contract (training %s; kernel and bias trainable, u and v not)', async (training) => {
    const { config } = await expectLayerContract({
      make: () => spectralNormConv2D({ filters: 4, kernelSize: 3, strides: 2, name: 'conv' }),
      inputShapes: [[2, 7, 6, 3]],
      outputShapes: [[2, 3, 2, 4]],
      trainableWeights: 2,
      nonTrainableWeights: 2,
      kwargs: { training },
    });
    expect(config).toMatchObject({ filters: 4, kernelSize: 3, strides: 2, useBias: true });
  });

  it('without a bias has one trainable weight', async () => {
    await expectLayerContract({
      make: () => spectralNormConv2D({ filters: 1, kernelSize: 2, useBias: false, name: 'head' }),
      inputShapes: [[1, 4, 4, 2]],
      outputShapes: [[1, 3, 3, 1]],
      trainableWeights: 1,
      nonTrainableWeights: 2,
      kwargs: { training: true },
    });
  });

  it('advances u, v by one PyTorch power iteration only when training', () => {
    const layer = spectralNormConv2D({ filters: 3, kernelSize: 2 });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 41);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const [u0, v0] = [values(layer, 'u'), values(layer, 'v')];
    expect([u0.length, v0.length]).toEqual([3, 8]);
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
    expect([values(layer, 'u'), values(layer, 'v')]).toEqual([u0, v0]);
    const next = powerIterationJs(values(layer, 'kernel'), 8, 3, u0);
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    expect(relativeError(values(layer, 'u'), next.u)).toBeLessThan(1e-5);
    expect(relativeError(values(layer, 'v'), next.v)).toBeLessThan(1e-5);
    // Many iterations converge σ to the largest singular value. The kernel is fixed with singular
    // values 3, 2, 1 (orthogonal columns of the 8×3 matrix): a random one can have two nearly equal
    // top values, and then 50 iterations are not enough.
    const singularValues = [3, 2, 1];
    const kernel = new Float32Array(8 * 3).map((_, i) => (Math.floor(i / 3) === i % 3 ? singularValues[i % 3] : 0));
    weight(layer, 'kernel').write(tf.tensor4d(kernel, [2, 2, 2, 3]));
    for (let i = 0; i < 50; i++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const sigma = sigmaJs(kernel, 8, 3, values(layer, 'u'), values(layer, 'v'));
    expect(sigma).toBeCloseTo(3, 4);
    tf.dispose(x);
    layer.dispose();
  });

  it('with iterateInInference advances u, v on every call, as TensorFlow\'s spectral norm (no evaluation mode)', async () => {
    const { config } = await expectLayerContract({
      make: () => spectralNormConv2D({ filters: 4, kernelSize: 3, iterateInInference: true, name: 'conv' }),
      inputShapes: [[1, 5, 5, 2]],
      outputShapes: [[1, 3, 3, 4]],
      trainableWeights: 2,
      nonTrainableWeights: 2,
    });
    expect(config.iterateInInference).toBe(true);
    const layer = spectralNormConv2D({ filters: 3, kernelSize: 2, iterateInInference: true });
    const x = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 44);
    tf.dispose(layer.apply(x) as tf.Tensor);
    for (const kwargs of [{}, { training: false }, { training: true }]) {
      const u0 = values(layer, 'u');
      const next = powerIterationJs(values(layer, 'kernel'), 8, 3, u0);
      tf.dispose(layer.apply(x, kwargs) as tf.Tensor);
      expect(relativeError(values(layer, 'u'), next.u), JSON.stringify(kwargs)).toBeLessThan(1e-5);
    }
    tf.dispose(x);
    layer.dispose();
  });

  it('differentiates through σ: the kernel gradient equals float64 finite differences', () => {
    const [shape, k, cout, stride] = [[1, 5, 5, 2], 3, 2, 2];
    const rows = k * k * shape[3];
    const layer = spectralNormConv2D({ filters: cout, kernelSize: k, strides: stride, useBias: false });
    const x = tf.randomNormal(shape, 0, 1, 'float32', 42);
    const r = tf.randomNormal([1, 2, 2, cout], 0, 1, 'float32', 43);
    tf.dispose(layer.apply(x) as tf.Tensor);
    // Seeded weights (the initialisers are unseeded), then a few iterations so σ is a fair estimate.
    tf.tidy(() => {
      weight(layer, 'kernel').write(tf.randomUniform([k, k, shape[3], cout], -0.5, 0.5, 'float32', 7));
      const u0 = tf.randomNormal(weight(layer, 'u').shape as number[], 0, 1, 'float32', 8);
      weight(layer, 'u').write(tf.div(u0, tf.norm(u0)));
    });
    for (let i = 0; i < 5; i++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const [u, v, xs, rs] = [values(layer, 'u'), values(layer, 'v'), x.dataSync(), r.dataSync()];
    const f = (kernel: Float64Array) => {
      const sigma = sigmaJs(kernel, rows, cout, u, v);
      return conv2dJs(xs, shape, kernel, k, cout, stride).reduce((s, y, i) => s + rs[i] * y / sigma, 0);
    };
    const kernelVar = weight(layer, 'kernel').read() as tf.Variable;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar, [kernelVar]);
    const g = grads[kernelVar.name].dataSync();
    const kernel = kernelVar.dataSync();
    expect(relativeError(g, finiteDifferences(f, kernel))).toBeLessThan(1e-4);
    const sigma = sigmaJs(kernel, rows, cout, u, v);
    const constSigma = finiteDifferences((kk) => f(kk) * sigmaJs(kk, rows, cout, u, v) / sigma, kernel);
    expect(relativeError(g, constSigma), `σ term`).toBeGreaterThan(1e-2);
    // spectralSigma agrees with the float64 σ.
    const s = spectralSigma(kernelVar, tf.tensor1d(u) as tf.Tensor1D, tf.tensor1d(v) as tf.Tensor1D);
    expect(s.dataSync()[0]).toBeCloseTo(sigma, 5);
    tf.dispose([x, r, value, s, ...Object.values(grads)]);
    layer.dispose();
  });

  it('rejects bad arguments, naming the value', () => {
    expect(() => new SpectralNormConv2D({ filters: 2, kernelSize: 0 })).toThrow(/kernelSize must be a positive integer, received 0/);
    expect(() => spectralNormConv2D({ filters: 2.5, kernelSize: 3 })).toThrow(/filters must be a positive integer, received 2\.5/);
    expect(() => spectralNormConv2D({ filters: 2, kernelSize: 3, strides: -2 })).toThrow(/strides must be a positive integer, received -2/);
  });
});
