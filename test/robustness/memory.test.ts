import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerator, translate, UGATITTrainer } from '../../src';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { disposeNetworks, randomBatch, tinyNetworks } from '../helpers/tiny-training';

const SIZE = 16;
const CALLS = 1000;
const STEPS = 50;

interface Drift { call: number; numTensors: number; numBytes: number }

/**
 * Runs `fn` `calls` times; from the second call on, every call must leave the engine with
 * exactly as many tensors and bytes as the first left. Returns the first deviations (none when flat).
 */
async function driftOver(calls: number, fn: (i: number) => Promise<void> | void): Promise<{ baseline: Drift; drifts: Drift[] }> {
  await fn(0);
  const { numTensors, numBytes } = tf.memory();
  const baseline = { call: 0, numTensors, numBytes };
  const drifts: Drift[] = [];
  for (let i = 1; i < calls; i++) {
    await fn(i);
    const m = tf.memory();
    if ((m.numTensors !== numTensors || m.numBytes !== numBytes) && drifts.length < 5) {
      drifts.push({ call: i, numTensors: m.numTensors, numBytes: m.numBytes });
    }
  }
  return { baseline, drifts };
}

describe('memory: the drift check', () => {
  it('reports a call that leaves one tensor behind', async () => {
    await useBackend('cpu');
    const kept: tf.Tensor[] = [];
    const { drifts } = await driftOver(10, (i) => {
      tf.dispose(tf.tidy(() => tf.add(tf.scalar(i), 1)));
      if (i === 6) kept.push(tf.scalar(i));
    });
    tf.dispose(kept);
    expect(drifts.map((d) => d.call)).toEqual([6, 7, 8, 9]);
  });
});

describeEachBackend(`memory: ${CALLS} inference calls of a tiny generator on %s`, (backend) => {
  let gen: tfl.LayersModel;
  let pixels: tf.Tensor3D;

  beforeAll(async () => {
    await useBackend(backend);
    gen = createGenerator({ ngf: 2, nBlocks: 1, imgSize: SIZE, light: true, name: 'genA2B' });
    // A 20×12 int32 image: translate resizes it to 16×16 and back, the CLI's path.
    pixels = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([20, 12, 3], 0, 1, 'float32', 3), 255), 'int32') as tf.Tensor3D);
  });
  afterAll(() => {
    gen.dispose();
    pixels.dispose();
  });

  it('translate() leaves numTensors and numBytes flat after the first call', async () => {
    const { baseline, drifts } = await driftOver(CALLS, async () => {
      const result = await translate(gen, pixels);
      result.dispose();
    });
    expect(drifts, `baseline ${JSON.stringify(baseline)}`).toEqual([]);
  });

  it('model.predict leaves numTensors and numBytes flat after the first call', async () => {
    const x = tf.randomUniform([1, SIZE, SIZE, 3], -1, 1, 'float32', 5);
    const { baseline, drifts } = await driftOver(CALLS, () => {
      tf.dispose(gen.predict(x) as tf.Tensor[]);
    });
    x.dispose();
    expect(drifts, `baseline ${JSON.stringify(baseline)}`).toEqual([]);
  });
});

describe(`memory: ${STEPS} UGATITTrainer steps of tiny networks on wasm`, () => {
  it('leave numTensors and numBytes flat after the first step', async () => {
    await useBackend('wasm');
    const nets = tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, globalLayers: 4, localLayers: 3 });
    const trainer = new UGATITTrainer(nets, { lr: 1e-3, iterations: STEPS });
    const realA = randomBatch(1, SIZE, 1);
    const realB = randomBatch(1, SIZE, 2);
    const { baseline, drifts } = await driftOver(STEPS, async () => {
      await trainer.step(realA, realB);
    });
    expect(trainer.iteration).toBe(STEPS);
    tf.dispose([realA, realB]);
    trainer.dispose();
    disposeNetworks(nets);
    expect(drifts, `baseline ${JSON.stringify(baseline)}`).toEqual([]);
  });
});
