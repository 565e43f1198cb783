import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { instanceNorm, instanceNormalize } from '../../src/layers/instance-norm';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { normalizeJs, relativeError } from './norm-reference';

describeEachBackend('InstanceNorm on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract', async () => {
    const { config } = await expectLayerContract({
      make: () => instanceNorm({ epsilon: 1e-3, name: 'norm' }),
      inputShapes: [[2, 4, 5, 3]],
      outputShapes: [[2, 4, 5, 3]],
      trainableWeights: 0,
    });
    expect(config.epsilon).toBe(1e-3);
  });

  it('instanceNormalize equals nn.InstanceNorm2d (biased variance, eps 1e-5) in float64', () => {
    const shape = [2, 3, 4, 3];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 7), 3), 1);
    const y = instanceNormalize(x as tf.Tensor4D);
    expect(relativeError(y.dataSync(), normalizeJs(x.dataSync(), shape, 'instance', 1e-5, false))).toBeLessThan(1e-5);
    tf.dispose([x, y]);
  });

  it('with scale and center learns γ and β (TensorFlow\'s affine instance_norm), passing the layer contract', async () => {
    const { config } = await expectLayerContract({
      make: () => instanceNorm({ scale: true, center: true, name: 'norm' }),
      inputShapes: [[2, 4, 5, 3]],
      outputShapes: [[2, 4, 5, 3]],
      trainableWeights: 2,
    });
    expect(config).toMatchObject({ scale: true, center: true });
    await expectLayerContract({ make: () => instanceNorm({ center: true, name: 'norm' }), inputShapes: [[1, 3, 3, 2]], outputShapes: [[1, 3, 3, 2]], trainableWeights: 1 });
  });

  it('instanceNormalize with γ and β equals γ·x̂ + β in float64', () => {
    const shape = [2, 3, 4, 3];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 8), 2), -1);
    const gamma = tf.tensor1d([1.2, 0.8, -0.5]);
    const beta = tf.tensor1d([0.1, -0.3, 0]);
    const y = instanceNormalize(x as tf.Tensor4D, 1e-5, gamma as tf.Tensor1D, beta as tf.Tensor1D);
    const g = gamma.dataSync();
    const b = beta.dataSync();
    const expected = normalizeJs(x.dataSync(), shape, 'instance', 1e-5, false).map((v, i) => v * g[i % 3]! + b[i % 3]!);
    expect(relativeError(y.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([x, gamma, beta, y]);
  });

  it('rejects a non-positive epsilon, naming it', () => {
    expect(() => instanceNorm({ epsilon: 0 })).toThrow(/epsilon must be positive, received 0/);
  });
});
