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

  it('rejects a non-positive epsilon, naming it', () => {
    expect(() => instanceNorm({ epsilon: 0 })).toThrow(/epsilon must be positive, received 0/);
  });
});
