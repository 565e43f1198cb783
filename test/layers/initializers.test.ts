import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { TorchUniform, UnitNormal, withoutWeightDraws } from '../../src/layers/initializers';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';

describeEachBackend('TorchUniform and UnitNormal on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('TorchUniform draws within ±1/√fanIn and fills the range', () => {
    const before = tf.memory().numTensors;
    const fanIn = 3 * 3 * 16;
    const bound = 1 / Math.sqrt(fanIn);
    const t = new TorchUniform({ fanIn }).apply([20000]);
    const d = t.dataSync();
    const [min, max] = [Math.min(...d), Math.max(...d)];
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeLessThanOrEqual(bound);
    expect(min).toBeLessThan(-0.99 * bound);
    expect(max).toBeGreaterThan(0.99 * bound);
    const mean = Array.from(d).reduce((s, e) => s + e, 0) / d.length;
    expect(Math.abs(mean)).toBeLessThan(0.02 * bound);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('withoutWeightDraws gives zeros while building, draws again after, even when the build throws', () => {
    const init = new TorchUniform({ fanIn: 4 });
    const zero = withoutWeightDraws(() => init.apply([6]));
    expect(Array.from(zero.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => withoutWeightDraws(() => { throw new Error('boom'); })).toThrow('boom');
    const drawn = init.apply([6]);
    expect(Array.from(drawn.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([zero, drawn]);
  });

  it('TorchUniform is reproducible with a seed', () => {
    const [a, b] = [new TorchUniform({ fanIn: 4, seed: 9 }).apply([8]), new TorchUniform({ fanIn: 4, seed: 9 }).apply([8])];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
  });

  it('TorchUniform serialises with a layer through the model JSON', async () => {
    const { config } = await expectLayerContract({
      make: () => tfl.layers.dense({ units: 3, kernelInitializer: new TorchUniform({ fanIn: 5, seed: 2 }), biasInitializer: new TorchUniform({ fanIn: 5 }), name: 'fc' }),
      inputShapes: [[2, 5]],
      outputShapes: [[2, 3]],
      trainableWeights: 2,
    });
    expect(config.kernelInitializer).toEqual({ className: 'UgatitTorchUniform', config: { fanIn: 5, seed: 2 } });
    expect(config.biasInitializer).toEqual({ className: 'UgatitTorchUniform', config: { fanIn: 5 } });
  });

  it('UnitNormal draws unit vectors and serialises', () => {
    const t = new UnitNormal({ seed: 3 }).apply([50]);
    expect(Math.hypot(...t.dataSync())).toBeCloseTo(1, 5);
    expect(new UnitNormal({ seed: 3 }).getConfig()).toEqual({ seed: 3 });
    t.dispose();
  });

  it('UnitNormal is reproducible with seed 0, which tfjs alone would treat as no seed', () => {
    const [a, b] = [new UnitNormal({ seed: 0 }).apply([16]), new UnitNormal({ seed: 0 }).apply([16])];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
  });

  it('UnitNormal with a non-zero seed normalises exactly tfjs\' own seeded draw', () => {
    const ours = new UnitNormal({ seed: 7 }).apply([16]);
    const draw = tf.randomNormal([16], 0, 1, 'float32', 7);
    const norm = Math.hypot(...draw.dataSync());
    const expected = Array.from(draw.dataSync()).map((x) => x / norm);
    Array.from(ours.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(expected[i], 6));
    tf.dispose([ours, draw]);
  });

  it('TorchUniform rejects a non-positive fanIn, naming it', () => {
    expect(() => new TorchUniform({ fanIn: 0 })).toThrow(/fanIn must be a positive number, received 0/);
    expect(() => new TorchUniform({ fanIn: Number.NaN })).toThrow(/received NaN/);
  });
});
