/**
 * Starting a run from trained networks (`train --init`): the run takes their architecture,
 * refuses an explicit option that contradicts it, and retrains light generators at another
 * image size with the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitInitialNetworks } from '../../src/training/fit-initial-networks';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tinyNetworks, weightValues } from '../helpers/tiny-training';

beforeAll(() => useBackend('cpu'));

describe('fitInitialNetworks', () => {
  it('rebuilds light generators at the run size with every weight unchanged', () => {
    const nets = tinyNetworks({ size: 32, ngf: 4, nBlocks: 1 });
    const before = weightValues(nets);
    const oldA2B = nets.genA2B;
    const arch = fitInitialNetworks(nets, 48, {}, 'run-32px');
    expect(arch).toEqual({ size: 48, ngf: 4, ndf: 4, nBlocks: 1, light: true, globalLayers: 5, localLayers: 3 });
    expect(nets.genA2B).not.toBe(oldA2B);
    expect(nets.genA2B.inputs[0]!.shape).toEqual([null, 48, 48, 3]);
    expect(nets.genA2B.name).toBe('genA2B');
    expect(weightValues(nets)).toEqual(before);
    const shape = tf.tidy(() => (nets.genB2A.predict(tf.zeros([1, 48, 48, 3])) as tf.Tensor[])[0]!.shape);
    expect(shape).toEqual([1, 48, 48, 3]);
    disposeNetworks(nets);
  });

  it('leaves networks of the run size as they are', () => {
    const nets = tinyNetworks({ size: 32 });
    const same = { ...nets };
    fitInitialNetworks(nets, 32, { ngf: 4 }, 'run');
    expect(nets).toEqual(same);
    disposeNetworks(nets);
  });

  it('refuses an explicit option that contradicts the networks, naming both values', () => {
    const nets = tinyNetworks({ size: 32, ngf: 4, nBlocks: 1 });
    expect(() => fitInitialNetworks(nets, 32, { ngf: 64, nBlocks: 1 }, 'avatars')).toThrow('--init avatars has ngf 4; the run asks for ngf 64');
    expect(() => fitInitialNetworks(nets, 32, { localLayers: 5 }, 'avatars')).toThrow('has localLayers 3; the run asks for localLayers 5');
    disposeNetworks(nets);
  });

  it('refuses full generators at another size: their flattening FC depends on it', () => {
    const nets = tinyNetworks({ size: 32, light: false });
    expect(() => fitInitialNetworks(nets, 48, {}, 'full-run')).toThrow('--init full-run: its full generators were built for 32 px');
    disposeNetworks(nets);
  });
});
