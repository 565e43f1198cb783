import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { manifest, readFixture } from '../helpers/fixtures';
import { forwardFailures, forwardSummary } from '../helpers/golden-bounds';
import { FORWARD_FIXTURES, measureForward } from '../helpers/golden-forward';

// Generators: image, CAM logit and heatmap. Discriminators: the eval-mode outputs with the
// stored u, v, a training-mode call and the u, v it leaves behind. The bound, from measurement:
// FORWARD_BOUND in test/helpers/golden-bounds.ts.
describeEachBackend('forward parity with the PyTorch reference on %s', (backend) => {
  it.each(FORWARD_FIXTURES)('reproduces %s', async (name) => {
    await useBackend(backend);
    const fixture = readFixture(`${name}.safetensors`);
    const before = tf.memory().numTensors;
    const result = await measureForward(name, fixture, manifest[name]);
    expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
    tf.dispose(Object.values(fixture));
    console.log(`${backend} ${name}: ${forwardSummary(result)}`);
    expect(forwardFailures(name, result)).toEqual([]);
  });
});
