import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscriminator, createGenerator, exportTorchStateDict, loadTorchStateDict } from '../../src';
import { readTorchCheckpoint } from '../../src/io';
import type { NamedTensors } from '../../src';
import { useBackend } from '../helpers/backends';
import { FIXTURE_DIR, manifest, readFixture, withPrefix } from '../helpers/fixtures';

const { config } = manifest['train-step'];
const NETWORKS: Record<string, () => tfl.LayersModel> = {
  genA2B: () => createGenerator({ ngf: config.ch, nBlocks: config.n_res, imgSize: config.img_size, light: config.light }),
  genB2A: () => createGenerator({ ngf: config.ch, nBlocks: config.n_res, imgSize: config.img_size, light: config.light }),
  disGA: () => createDiscriminator({ ndf: config.ch, nLayers: config.dis_global_layers }),
  disGB: () => createDiscriminator({ ndf: config.ch, nLayers: config.dis_global_layers }),
  disLA: () => createDiscriminator({ ndf: config.ch, nLayers: config.dis_local_layers }),
  disLB: () => createDiscriminator({ ndf: config.ch, nLayers: config.dis_local_layers }),
};

describe('reference .pt checkpoints load into the six networks', () => {
  let reference: NamedTensors;
  beforeAll(async () => {
    await useBackend('cpu');
    reference = readFixture('train-step.safetensors');
  });
  afterAll(() => tf.dispose(Object.values(reference)));

  it.each(['train-step-init.zip.pt', 'train-step-init.legacy.pt'])('%s: strict load, then export equals init.* bit for bit', (file) => {
    const before = tf.memory().numTensors;
    const ckpt = readTorchCheckpoint(new Uint8Array(readFileSync(path.join(FIXTURE_DIR, file)))) as Record<string, NamedTensors>;
    expect(Object.keys(ckpt)).toEqual(Object.keys(NETWORKS));
    for (const [name, make] of Object.entries(NETWORKS)) {
      const net = make();
      const report = loadTorchStateDict(net, ckpt[name]);
      expect(report.loaded.length, name).toBe(Object.keys(ckpt[name]).length);
      const exported = exportTorchStateDict(net);
      const expected = withPrefix(reference, `init.${name}`);
      expect(Object.keys(exported).sort(), name).toEqual(Object.keys(expected).sort());
      for (const key of Object.keys(expected)) {
        expect(exported[key].shape, `${name}.${key}`).toEqual(expected[key].shape);
        const [a, b] = [exported[key].dataSync() as Float32Array, expected[key].dataSync() as Float32Array];
        expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `${name}.${key}`).toBe(true);
      }
      tf.dispose(Object.values(exported));
      tf.dispose(Object.values(ckpt[name]));
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
