import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { LayerInstanceNorm, layerInstanceNorm, layerInstanceNormalize } from '../../src/layers/layer-instance-norm';
import { ClipConstraint } from '../../src/layers/clip-constraint';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { adaLinJs, relativeError } from './norm-reference';

describeEachBackend('LayerInstanceNorm on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract (ρ, γ, β trainable)', async () => {
    const { config } = await expectLayerContract({
      make: () => layerInstanceNorm({ rhoInit: 0.3, unbiased: false, name: 'norm' }),
      inputShapes: [[2, 4, 4, 3]],
      outputShapes: [[2, 4, 4, 3]],
      trainableWeights: 3,
    });
    expect(config).toMatchObject({ rhoInit: 0.3, unbiased: false, epsilon: 1e-5 });
  });

  it('initialises ρ to 0, γ to 1, β to 0 and clips ρ into [0, 1]', () => {
    const layer = layerInstanceNorm();
    const x = tf.randomNormal([1, 3, 3, 2]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const [rho, gamma, beta] = layer.getWeights();
    expect(Array.from(rho.dataSync())).toEqual([0, 0]);
    expect(Array.from(gamma.dataSync())).toEqual([1, 1]);
    expect(Array.from(beta.dataSync())).toEqual([0, 0]);
    expect(layer.trainableWeights[0].constraint).toBeInstanceOf(ClipConstraint);
    layer.dispose();
    x.dispose();
  });

  it.each([true, false])('layerInstanceNormalize equals the reference formula in float64 (unbiased %s)', (unbiased) => {
    const shape = [2, 3, 4, 3];
    const [x, rho, gamma, beta] = [
      tf.randomNormal(shape, 1, 2, 'float32', 11), tf.tensor1d([0, 0.4, 1]),
      tf.randomNormal([3], 1, 0.5, 'float32', 12), tf.randomNormal([3], 0, 1, 'float32', 13),
    ];
    const y = layerInstanceNormalize(x as tf.Tensor4D, rho as tf.Tensor1D, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5, unbiased);
    const expected = adaLinJs(x.dataSync(), shape, rho.dataSync(), gamma.dataSync(), beta.dataSync(), 1e-5, unbiased);
    expect(relativeError(y.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([x, rho, gamma, beta, y]);
  });

  it('rejects ρ outside [0, 1], naming it', () => {
    expect(() => new LayerInstanceNorm({ rhoInit: 1.5 })).toThrow(/rhoInit must be in \[0, 1\], received 1\.5/);
  });
});
