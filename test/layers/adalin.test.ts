import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { AdaLIN, adaLIN, adaLINNormalize } from '../../src/layers/adalin';
import { ClipConstraint } from '../../src/layers/clip-constraint';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { adaLinJs, relativeError } from './norm-reference';

describeEachBackend('AdaLIN on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract with three inputs [x, gamma, beta]', async () => {
    const { config } = await expectLayerContract({
      make: () => adaLIN({ rhoInit: 0.7, name: 'norm' }),
      inputShapes: [[2, 4, 4, 3], [2, 3], [2, 3]],
      outputShapes: [[2, 4, 4, 3]],
      trainableWeights: 1,
    });
    expect(config).toMatchObject({ rhoInit: 0.7, unbiased: true, epsilon: 1e-5 });
  });

  it('initialises ρ to 0.9 and constrains it to [0, 1]', () => {
    const layer = adaLIN();
    const inputs = [tf.randomNormal([1, 3, 3, 4]), tf.ones([1, 4]), tf.zeros([1, 4])];
    tf.dispose(layer.apply(inputs) as tf.Tensor);
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([0.9, 0.9, 0.9, 0.9].map(Math.fround));
    expect(layer.trainableWeights[0].constraint).toBeInstanceOf(ClipConstraint);
    layer.dispose();
    tf.dispose(inputs);
  });

  it('clips a written ρ into [0, 1] without leaking the clipped tensor (tfjs-layers loadWeights writes outside a tidy)', () => {
    const layer = adaLIN();
    const inputs = [tf.randomNormal([1, 3, 3, 4]), tf.ones([1, 4]), tf.zeros([1, 4])];
    tf.dispose(layer.apply(inputs) as tf.Tensor);
    const value = tf.tensor1d([-0.5, 0.25, 1, 1.5]);
    const before = tf.memory().numTensors;
    layer.trainableWeights[0].write(value);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([0, 0.25, 1, 1]);
    layer.dispose();
    tf.dispose([value, ...inputs]);
  });

  // torch.var is unbiased by default: the reference divides by n − 1.
  it.each([true, false])('adaLINNormalize equals the reference formula in float64 (unbiased %s)', (unbiased) => {
    const shape = [2, 3, 3, 2];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 21);
    const rho = tf.tensor1d([0.9, 0.25]);
    const gamma = tf.randomNormal([2, 2], 1, 0.5, 'float32', 22);
    const beta = tf.randomNormal([2, 2], 0, 1, 'float32', 23);
    const y = adaLINNormalize(x as tf.Tensor4D, rho as tf.Tensor1D, gamma as tf.Tensor2D, beta as tf.Tensor2D, 1e-5, unbiased);
    const expected = adaLinJs(x.dataSync(), shape, rho.dataSync(), gamma.dataSync(), beta.dataSync(), 1e-5, unbiased);
    expect(relativeError(y.dataSync(), expected)).toBeLessThan(1e-5);
    // The two variance conventions really differ on a 3×3 image.
    const other = adaLinJs(x.dataSync(), shape, rho.dataSync(), gamma.dataSync(), beta.dataSync(), 1e-5, !unbiased);
    expect(relativeError(y.dataSync(), other)).toBeGreaterThan(1e-2);
    tf.dispose([x, rho, gamma, beta, y]);
  });

  it('with rhoOffset uses clip(ρ − offset, 0, 1) as the TensorFlow reference with --smoothing, and has its gradient', async () => {
    const { config } = await expectLayerContract({
      make: () => adaLIN({ rhoInit: 1, rhoOffset: 0.1, unbiased: false, name: 'norm' }),
      inputShapes: [[2, 4, 4, 3], [2, 3], [2, 3]],
      outputShapes: [[2, 4, 4, 3]],
      trainableWeights: 1,
    });
    expect(config).toMatchObject({ rhoInit: 1, rhoOffset: 0.1, unbiased: false });
    const shape = [2, 3, 3, 4];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 31);
    const gamma = tf.randomNormal([2, 4], 1, 0.5, 'float32', 32);
    const beta = tf.randomNormal([2, 4], 0, 1, 'float32', 33);
    const layer = adaLIN({ rhoOffset: 0.1, unbiased: false });
    tf.dispose(layer.apply([x, gamma, beta]) as tf.Tensor);
    const stored = [0, 0.05, 0.5, 1];
    const rho = layer.trainableWeights[0]!;
    tf.tidy(() => { rho.write(tf.tensor1d(stored)); });
    const y = layer.apply([x, gamma, beta]) as tf.Tensor;
    const used = stored.map((r) => Math.min(1, Math.max(0, r - 0.1)));
    const expected = adaLinJs(x.dataSync(), shape, used, gamma.dataSync(), beta.dataSync(), 1e-5, false);
    expect(relativeError(y.dataSync(), expected)).toBeLessThan(1e-5);
    expect(relativeError(y.dataSync(), adaLinJs(x.dataSync(), shape, stored, gamma.dataSync(), beta.dataSync(), 1e-5, false))).toBeGreaterThan(1e-2);
    // The clip passes no gradient to the channels clipped at 0 (ρ ≤ 0.1).
    const variable = rho.read() as tf.Variable;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply([x, gamma, beta]) as tf.Tensor, x)) as tf.Scalar, [variable]);
    const g = Array.from(grads[variable.name]!.dataSync());
    expect(g.slice(0, 2)).toEqual([0, 0]);
    expect(Math.abs(g[2]!)).toBeGreaterThan(0);
    tf.dispose([x, gamma, beta, y, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it('rejects bad arguments and inputs, naming the value', () => {
    expect(() => new AdaLIN({ rhoOffset: 1 })).toThrow(/rhoOffset must be in \[0, 1\), received 1/);
    expect(() => new AdaLIN({ rhoInit: -0.1 })).toThrow(/rhoInit must be in \[0, 1\], received -0\.1/);
    expect(() => adaLIN({ epsilon: -1 })).toThrow(/epsilon must be positive, received -1/);
    const x = tf.zeros([1, 3, 3, 4]);
    const wrong = tf.zeros([1, 5]);
    expect(() => adaLIN().apply([x, wrong, wrong])).toThrow(/gamma must have shape \[N, 4\], received \[1,5\]/);
    expect(() => adaLIN().apply(x)).toThrow(/expects three inputs \[x, gamma, beta\]/);
    tf.dispose([x, wrong]);
  });
});
