import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { SpectralNormDense, spectralNormDense } from '../../src/layers/spectral-norm-dense';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { relativeError } from './norm-reference';
import { finiteDifferences, powerIterationJs, sigmaJs } from './spectral-reference';

const weight = (layer: SpectralNormDense, name: string) => layer.weights.find((w) => w.originalName.endsWith(`/${name}`))!;
const values = (layer: SpectralNormDense, name: string) => Array.from(weight(layer, name).read().dataSync());

describeEachBackend('SpectralNormDense on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([true, false])('passes the layer contract (training %s; kernel and bias trainable, u and v not)', async (training) => {
    const { config } = await expectLayerContract({
      make: () => spectralNormDense({ units: 3, name: 'fc' }),
      inputShapes: [[2, 5]],
      outputShapes: [[2, 3]],
      trainableWeights: 2,
      nonTrainableWeights: 2,
      kwargs: { training },
    });
    expect(config).toMatchObject({ units: 3, useBias: true });
  });

  it('advances u, v by one PyTorch power iteration only when training, and uses the new ones', () => {
    const layer = spectralNormDense({ units: 3, useBias: false });
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 31);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const [u0, v0] = [values(layer, 'u'), values(layer, 'v')];
    const evalOut = layer.apply(x, { training: false }) as tf.Tensor;
    expect([values(layer, 'u'), values(layer, 'v')]).toEqual([u0, v0]);
    const k = values(layer, 'kernel');
    const next = powerIterationJs(k, 4, 3, u0);
    const trainOut = layer.apply(x, { training: true }) as tf.Tensor;
    expect(relativeError(values(layer, 'u'), next.u)).toBeLessThan(1e-5);
    expect(relativeError(values(layer, 'v'), next.v)).toBeLessThan(1e-5);
    // The training call already divides by σ(new u, new v); eval afterwards gives the same.
    const after = layer.apply(x) as tf.Tensor;
    expect(Array.from(trainOut.dataSync())).toEqual(Array.from(after.dataSync()));
    expect(relativeError(evalOut.dataSync(), trainOut.dataSync())).toBeGreaterThan(1e-4);
    tf.dispose([x, evalOut, trainOut, after]);
    layer.dispose();
  });

  it('with iterateInInference advances u on calls outside training too (TensorFlow\'s spectral norm)', () => {
    const layer = spectralNormDense({ units: 3, iterateInInference: true });
    const x = tf.randomNormal([2, 4], 0, 1, 'float32', 34);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const u0 = values(layer, 'u');
    const next = powerIterationJs(values(layer, 'kernel'), 4, 3, u0);
    tf.dispose(layer.apply(x, { training: false }) as tf.Tensor);
    expect(relativeError(values(layer, 'u'), next.u)).toBeLessThan(1e-5);
    expect(layer.getConfig().iterateInInference).toBe(true);
    tf.dispose(x);
    layer.dispose();
  });

  it('differentiates through σ: the kernel gradient equals float64 finite differences', () => {
    const [batch, inF, units] = [3, 4, 3];
    const layer = spectralNormDense({ units, useBias: false });
    const x = tf.randomNormal([batch, inF], 0, 1, 'float32', 32);
    const r = tf.randomNormal([batch, units], 0, 1, 'float32', 33);
    tf.dispose(layer.apply(x) as tf.Tensor);
    // Seeded weights (the initialisers are unseeded), then a few iterations so σ is a fair estimate.
    tf.tidy(() => {
      weight(layer, 'kernel').write(tf.randomUniform([inF, units], -0.5, 0.5, 'float32', 7));
      const u0 = tf.randomNormal(weight(layer, 'u').shape as number[], 0, 1, 'float32', 8);
      weight(layer, 'u').write(tf.div(u0, tf.norm(u0)));
    });
    for (let i = 0; i < 5; i++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const [u, v, xs, rs] = [values(layer, 'u'), values(layer, 'v'), x.dataSync(), r.dataSync()];
    const f = (kernel: Float64Array) => {
      const sigma = sigmaJs(kernel, inF, units, u, v);
      let s = 0;
      for (let b = 0; b < batch; b++) for (let o = 0; o < units; o++) {
        let y = 0;
        for (let i = 0; i < inF; i++) y += xs[b * inF + i] * kernel[i * units + o];
        s += rs[b * units + o] * (y / sigma);
      }
      return s;
    };
    const kernelVar = weight(layer, 'kernel').read() as tf.Variable;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)) as tf.Scalar, [kernelVar]);
    const g = grads[kernelVar.name].dataSync();
    const k = kernelVar.dataSync();
    expect(relativeError(g, finiteDifferences(f, k))).toBeLessThan(1e-4);
    // Holding σ constant would give another gradient.
    const sigma = sigmaJs(k, inF, units, u, v);
    const constSigma = finiteDifferences((kk) => f(kk) * sigmaJs(kk, inF, units, u, v) / sigma, k);
    expect(relativeError(g, constSigma), `σ term`).toBeGreaterThan(1e-2);
    expect(grads[kernelVar.name].shape).toEqual([inF, units]);
    tf.dispose([x, r, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it('rejects bad units, naming the value', () => {
    expect(() => new SpectralNormDense({ units: 0 })).toThrow(/units must be a positive integer, received 0/);
  });
});
