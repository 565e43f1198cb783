import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { KernelRuns } from '../helpers/kernel-coverage';
import { recordKernels } from '../helpers/kernel-recorder';

describe('recordKernels: the kernels that ran, per backend', () => {
  it('records each kernel under the backend it ran on, gradients included', async () => {
    const { result, kernels } = await recordKernels(async () => {
      await useBackend('cpu');
      const a = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
      await useBackend('wasm');
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2])).arraySync());
      return [a, g];
    });
    expect(result).toEqual([3, [2, 4]]);
    expect(kernels.cpu).toEqual(['Add']);
    expect(kernels.wasm).toEqual(expect.arrayContaining(['Square', 'Sum', 'Multiply']));
    const runs = new KernelRuns();
    runs.add('inference', kernels);
    expect(runs.elsewhere('wasm')).toEqual(['cpu: Add']);
    expect(runs.on('wasm', 'inference').has('Add')).toBe(false);
  });

  it("leaves out the kernels a backend's kernel dispatches itself", async () => {
    await useBackend('cpu');
    // A kernel built from ops, as tfjs-node's ClipByValue is from Minimum and Maximum.
    const composite: tf.KernelConfig = {
      kernelName: 'UgatitTestComposite', backendName: 'cpu',
      kernelFunc: ({ inputs }) => tf.add(inputs.x as tf.Tensor, 1) as unknown as tf.TensorInfo,
    };
    tf.registerKernel(composite);
    try {
      const { kernels } = await recordKernels(async () => {
        const x = tf.scalar(1);
        const y = tf.engine().runKernel('UgatitTestComposite', { x }) as tf.Tensor;
        const value = y.dataSync()[0];
        tf.dispose([x, y]);
        return value;
      });
      expect(kernels).toEqual({ cpu: ['UgatitTestComposite'] });
    } finally {
      tf.unregisterKernel('UgatitTestComposite', 'cpu');
    }
  });

  it('restores the engine, also when the run throws, and refuses to nest', async () => {
    await useBackend('cpu');
    const engine = tf.engine();
    await expect(recordKernels(async () => {
      await expect(recordKernels(async () => 0)).rejects.toThrow(/already recording/);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(Object.prototype.hasOwnProperty.call(engine, 'runKernel')).toBe(false);
    const { kernels } = await recordKernels(async () => tf.tidy(() => tf.neg(tf.scalar(1)).dataSync()));
    expect(kernels).toEqual({ cpu: ['Neg'] });
  });
});
