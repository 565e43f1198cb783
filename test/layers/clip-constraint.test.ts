import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { ClipConstraint } from '../../src/layers/clip-constraint';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';

describeEachBackend('ClipConstraint on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('clips element-wise into [min, max] without leaking', () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-0.5, 0, 0.3, 1, 1.2]);
    const y = new ClipConstraint({ min: 0, max: 1 }).apply(x);
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0.3, 1, 1].map(Math.fround));
    const z = new ClipConstraint({ min: -2, max: -1 }).apply(x);
    expect(Array.from(z.dataSync())).toEqual([-1, -1, -1, -1, -1]);
    tf.dispose([x, y, z]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('defaults to [0, 1] and serialises with a layer through the model JSON', async () => {
    expect(new ClipConstraint().getConfig()).toEqual({ min: 0, max: 1 });
    const { config } = await expectLayerContract({
      // The initial kernel lies inside the bounds: tfjs applies constraints when weights are written (setWeights), not at init.
      make: () => tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.randomUniform({ minval: -0.25, maxval: 0.5 }), kernelConstraint: new ClipConstraint({ min: -0.25, max: 0.5 }), name: 'fc' }),
      inputShapes: [[2, 3]],
      outputShapes: [[2, 2]],
      trainableWeights: 2,
    });
    expect(config.kernelConstraint).toEqual({ className: 'UgatitClip', config: { min: -0.25, max: 0.5 } });
    expect(tf.serialization.SerializationMap.getMap().classNameMap.UgatitClip[0]).toBe(ClipConstraint);
  });

  it('rejects min above max, naming both', () => {
    expect(() => new ClipConstraint({ min: 2, max: 1 })).toThrow(/min must not exceed max, received min 2 and max 1/);
  });
});
