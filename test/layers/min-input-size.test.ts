import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { MinInputSize, minInputSize } from '../../src/layers/min-input-size';
import { UGATITConfigError } from '../../src/errors';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';

describeEachBackend('MinInputSize on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract', async () => {
    const { config } = await expectLayerContract({
      make: () => minInputSize({ minSize: 6, name: 'input_size' }),
      inputShapes: [[2, 6, 7, 3]],
      outputShapes: [[2, 6, 7, 3]],
      trainableWeights: 0,
    });
    expect(config.minSize).toBe(6);
  });

  it('passes the image through unchanged', () => {
    const x = tf.randomNormal([1, 8, 8, 2]);
    const y = minInputSize({ minSize: 8 }).apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('names the received size and the size needed', () => {
    const layer = minInputSize({ minSize: 24, name: 'input_size' });
    for (const shape of [[1, 23, 30, 3], [1, 30, 23, 3]]) {
      const x = tf.zeros(shape);
      expect(() => layer.apply(x)).toThrow(UGATITConfigError);
      expect(() => layer.apply(x)).toThrow(new RegExp(`input of ${shape[1]}×${shape[2]} px is smaller than the 24×24 px`));
      x.dispose();
    }
    const flat = tf.zeros([23, 23, 3]);
    expect(() => layer.apply(flat)).toThrow(/rank 4, received shape \[23,23,3\]/);
    flat.dispose();
  });

  it('rejects a minSize that is not a positive integer, naming it', () => {
    expect(() => new MinInputSize({ minSize: 0 })).toThrow(/minSize must be a positive integer, received 0/);
    expect(() => new MinInputSize({ minSize: Number.NaN })).toThrow(/received NaN/);
  });
});
