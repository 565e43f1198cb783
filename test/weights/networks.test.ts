import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disposeNetworks, disposeTrainerState, loadNetworks, NETWORK_NAMES, saveNetworks, saveTrainingCheckpoint, UGATITConfigError, UGATITTrainer,
} from '../../src';
import { tempDir, tinyNetworks, weightValues } from '../helpers/tiny-training';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await tempDir('ugatit-networks-');
});
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('the six networks as a set', () => {
  it('saveNetworks writes <dir>/<name>/ for each network; loadNetworks reads them back, weight for weight', async () => {
    const before = tf.memory().numTensors;
    const nets = tinyNetworks();
    const written = await saveNetworks(path.join(dir, 'weights'), nets);
    expect(Object.keys(written).sort()).toEqual([...NETWORK_NAMES].sort());
    for (const name of NETWORK_NAMES) expect((await fs.stat(path.join(dir, 'weights', name, 'model.json'))).isFile()).toBe(true);
    const loaded = await loadNetworks(path.join(dir, 'weights'));
    expect(Object.keys(loaded).sort()).toEqual([...NETWORK_NAMES].sort());
    expect(weightValues(loaded)).toEqual(weightValues(nets));
    disposeNetworks(nets);
    disposeNetworks(loaded);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loadNetworks reads a training directory, dropping the optimizer state', async () => {
    const nets = tinyNetworks({ seed: 2 });
    const trainer = new UGATITTrainer(nets, { iterations: 10 });
    const state = trainer.getState();
    await saveTrainingCheckpoint(path.join(dir, 'run'), nets, state);
    disposeTrainerState(state);
    trainer.dispose();
    const before = tf.memory().numTensors;
    const loaded = await loadNetworks(path.join(dir, 'run'));
    expect(weightValues(loaded)).toEqual(weightValues(nets));
    disposeNetworks(loaded);
    expect(tf.memory().numTensors).toBe(before);
    disposeNetworks(nets);
  });

  it('saveNetworks skips what a partial set lacks; disposeNetworks ignores the other fields of a loader result', async () => {
    const { genA2B, genB2A, ...discriminators } = tinyNetworks({ seed: 3 });
    disposeNetworks(discriminators);
    const written = await saveNetworks(path.join(dir, 'generators'), { genA2B, genB2A });
    expect(Object.keys(written).sort()).toEqual(['genA2B', 'genB2A']);
    const before = tf.memory().numTensors;
    disposeNetworks({ genA2B, genB2A, provenance: null, source: 'x' } as Parameters<typeof disposeNetworks>[0]);
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('loadNetworks refuses a missing folder and a file, naming them', async () => {
    await expect(loadNetworks(path.join(dir, 'missing'))).rejects.toThrow(UGATITConfigError);
    await expect(loadNetworks(path.join(dir, 'missing'))).rejects.toThrow(/loadNetworks: .*missing: no such folder/);
    const file = path.join(dir, 'file.txt');
    await fs.writeFile(file, 'x');
    await expect(loadNetworks(file)).rejects.toThrow(/loadNetworks: .*file\.txt is a file/);
  });
});
