import * as tf from '@tensorflow/tfjs-core';
import { Conv2D, Conv2DBackpropInput, getKernel, Mean, Sum } from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureWasmFastConv2D, restoreWasmConv2D } from '../../src/backends/wasm-conv2d';
import { ensureWasmFastConvBackpropInput, restoreWasmConvBackpropInput } from '../../src/backends/wasm-conv-backprop-input';
import { ensureWasmPreciseReductions, restoreWasmPreciseReductions } from '../../src/backends/wasm-precise-reductions';
import { installWasmTrainingKernels, wasmTrainingKernelsInstalled } from '../../src/backends';
import { tinyNetworks } from '../helpers/tiny-training';
import { UGATITTrainer } from '../../src';
import '../helpers/backends';

/** wasm as its package registers it: without the kernels installWasmTrainingKernels() adds. */
async function plainWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Starts a new wasm backend, as a process does that swaps kernels before it first uses wasm: every registered setupFunc runs now. */
async function freshWasm(): Promise<void> {
  const factory = tf.findBackendFactory('wasm')!;
  await tf.setBackend('cpu');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  await plainWasm();
}

/**
 * The cases our wasm convolutions leave to wasm's own kernels, run on `backend`: a Conv2D with
 * more output positions than channels (XNNPACK's), and an NCHW Conv2DBackpropInput.
 */
async function fallbackKernels(backend: 'cpu' | 'wasm'): Promise<Float32Array[]> {
  if (backend === 'wasm') await plainWasm();
  else await tf.setBackend('cpu');
  return tf.tidy(() => {
    const x = tf.randomUniform([1, 7, 6, 3], -1, 1, 'float32', 1);
    const filter = tf.randomUniform([3, 3, 3, 5], -1, 1, 'float32', 2);
    const dy = tf.randomUniform([1, 5, 4, 3], -1, 1, 'float32', 3);
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 2, 'same');
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [1, 3, 7, 6] } as unknown as NamedAttrMap;
    const dx = tf.engine().runKernel(Conv2DBackpropInput, { dy, filter }, attrs) as tf.Tensor;
    return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array];
  });
}

const KERNELS = [Conv2D, Conv2DBackpropInput, Sum, Mean];

describe('swapping wasm kernels', () => {
  afterAll(() => { restoreWasmConv2D(); restoreWasmConvBackpropInput(); });

  it('keeps the registration of wasm\'s own kernel (its setupFunc binds the C function), and restore puts that very registration back', async () => {
    await plainWasm();
    const originals = KERNELS.map((k) => getKernel(k, 'wasm')!);
    for (const o of originals) expect(o.setupFunc, o.kernelName).toBeTypeOf('function');
    ensureWasmFastConv2D();
    ensureWasmFastConvBackpropInput();
    ensureWasmPreciseReductions();
    KERNELS.forEach((k, i) => {
      const swapped = getKernel(k, 'wasm')!;
      expect(swapped.kernelFunc, k).not.toBe(originals[i]!.kernelFunc);
      expect(swapped.setupFunc, k).toBe(originals[i]!.setupFunc);
      expect(swapped.disposeFunc, k).toBe(originals[i]!.disposeFunc);
    });
    restoreWasmConv2D();
    restoreWasmConvBackpropInput();
    expect(getKernel(Conv2D, 'wasm')).toBe(originals[0]);
    expect(getKernel(Conv2DBackpropInput, 'wasm')).toBe(originals[1]);
    // Idempotent both ways.
    restoreWasmConv2D();
    expect(getKernel(Conv2D, 'wasm')).toBe(originals[0]);
    ensureWasmFastConv2D();
    ensureWasmFastConv2D();
    expect(getKernel(Conv2D, 'wasm')!.setupFunc).toBe(originals[0]!.setupFunc);
    restoreWasmConv2D();
    restoreWasmPreciseReductions();
    KERNELS.forEach((k, i) => expect(getKernel(k, 'wasm'), k).toBe(originals[i]));
  });

  it('installed before wasm starts, the cases left to wasm\'s own kernels still run and match the cpu backend', async () => {
    const expected = await fallbackKernels('cpu');
    ensureWasmFastConv2D();
    ensureWasmFastConvBackpropInput();
    await freshWasm();
    const got = await fallbackKernels('wasm');
    got.forEach((g, i) => {
      expect(g.length).toBe(expected[i]!.length);
      g.forEach((v, k) => expect(Math.abs(v - expected[i]![k]!)).toBeLessThan(1e-5));
    });
    // And after a restore, in a backend started after it, wasm's kernels are whole again.
    restoreWasmConv2D();
    restoreWasmConvBackpropInput();
    await freshWasm();
    expect(await fallbackKernels('wasm')).toEqual(got);
  });

  it('installWasmTrainingKernels() is explicit and undone by restore(): the trainer refuses wasm without it', async () => {
    await plainWasm();
    const before = ['Conv2DBackpropFilter', ...KERNELS].map((k) => getKernel(k, 'wasm'));
    expect(before[0]).toBeUndefined();
    expect(wasmTrainingKernelsInstalled()).toBe(false);
    const nets = tinyNetworks();
    const trainer = new UGATITTrainer(nets);
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    await expect(trainer.step(x, x)).rejects.toThrow(/training on wasm needs .*installWasmTrainingKernels\(\)/);
    const kernels = installWasmTrainingKernels();
    expect(wasmTrainingKernelsInstalled()).toBe(true);
    expect(kernels.added).toContain('Conv2DBackpropFilter');
    expect(Number.isFinite((await trainer.step(x, x)).losses.G_loss)).toBe(true);
    kernels.restore();
    expect(wasmTrainingKernelsInstalled()).toBe(false);
    expect(['Conv2DBackpropFilter', ...KERNELS].map((k) => getKernel(k, 'wasm'))).toEqual(before);
    trainer.dispose();
    for (const net of Object.values(nets)) net.dispose();
    x.dispose();
  });
});
