import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/backends/wasm-training-kernels';
import { WASM_TRAINING_KERNEL_NAMES } from '../../src/backends';
import { type BackendName, useBackend } from '../helpers/backends';
import { seededUniform } from '../helpers/random';

type T4 = tf.Tensor4D;

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededUniform(shape.reduce((a, b) => a * b, 1), seed, -1, 1), shape);
}

/** Runs `fn` on `backend`, returns the outputs' values and checks nothing leaked. */
async function runOn(backend: BackendName, fn: () => tf.Tensor[]): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  await useBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const outs = tf.tidy(fn);
  const values = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  const shapes = outs.map((t) => t.shape);
  tf.dispose(outs);
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(tensorsBefore);
  expect(tf.engine().backend.numDataIds(), `backend buffers leaked on ${backend}`).toBe(dataIdsBefore);
  return { values, shapes };
}

/** Largest |a - b| relative to the largest |b| (or absolute when b is ~0). */
function relError(a: Float32Array, b: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  return maxDiff / Math.max(maxRef, 1e-6);
}

async function expectWasmMatchesCpu(fn: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const cpu = await runOn('cpu', fn);
  const wasm = await runOn('wasm', fn);
  expect(wasm.shapes).toEqual(cpu.shapes);
  cpu.values.forEach((ref, i) => {
    const got = wasm.values[i]!;
    expect(got.length).toBe(ref.length);
    expect(Math.max(...ref.map(Math.abs)), 'reference gradient is all zeros').toBeGreaterThan(0);
    expect(relError(got, ref), `output ${i}`).toBeLessThanOrEqual(tol);
  });
}

interface ConvCase {
  k: number;
  stride: number;
  pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
  batch: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
}

const convCases: ConvCase[] = [];
{
  let i = 0;
  for (const k of [1, 3, 4, 7]) {
    for (const stride of [1, 2]) {
      for (const pad of ['valid', 'same'] as const) {
        i++;
        convCases.push({
          k,
          stride,
          pad,
          batch: 1 + (i % 2),
          cin: 1 + ((i * 3) % 8),
          cout: 1 + ((i * 5 + 2) % 8),
          h: k + 4 + (i % 3),
          w: k + 7 + (i % 4),
        });
      }
    }
  }
  // Explicit (asymmetric) padding, as the networks' reflection-padded convs compute it.
  convCases.push({ k: 3, stride: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]], batch: 2, cin: 5, cout: 3, h: 9, w: 6 });
  convCases.push({ k: 4, stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], batch: 1, cin: 8, cout: 8, h: 10, w: 7 });
}

describe('wasm training kernels', () => {
  it('registers the missing kernels for wasm, idempotently', () => {
    expect(WASM_TRAINING_KERNEL_NAMES).toContain('Conv2DBackpropFilter');
    registerWasmTrainingKernels();
    for (const name of WASM_TRAINING_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    const before = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    expect(registerWasmTrainingKernels()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(before);
    // Nothing is registered for backends that have their own kernel.
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(before?.kernelFunc);
  });

  describe.each(convCases)('conv2d gradient k=$k stride=$stride pad=$pad batch=$batch $cin->$cout $hx$w', (c) => {
    it('matches cpu for dW and dx', async () => {
      await expectWasmMatchesCpu(() => {
        const x = rand([c.batch, c.h, c.w, c.cin], 1);
        const w = rand([c.k, c.k, c.cin, c.cout], 2);
        const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Tensor => {
          const y = tf.conv2d(xx as T4, ww as T4, c.stride, c.pad);
          // A non-uniform dy, so every weight of the gradient is exercised.
          return tf.sum(tf.mul(y, rand(y.shape, 3)));
        };
        return tf.grads(f)([x, w]);
      });
    });
  });

  it('Conv2DBackpropFilter run directly with NCHW matches cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const x = rand([2, 3, 9, 7], 4); // NCHW
      const dy = rand([2, 5, 5, 4], 5); // 3x3, stride 2, same -> 5x4
      const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [2, 2],
        pad: 'same',
        dataFormat: 'NCHW',
        dimRoundingMode: undefined,
        filterShape: [3, 3, 3, 5],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return [dW];
    });
  });

  it.each(['relu', 'leakyrelu'] as const)('fused conv2d (bias + %s) gradients match cpu', async (activation) => {
    await expectWasmMatchesCpu(() => {
      const x = rand([2, 8, 11, 3], 6);
      const w = rand([3, 3, 3, 4], 7);
      const b = rand([4], 8);
      const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Tensor => {
        const y = tf.fused.conv2d({ x: xx as T4, filter: ww as T4, bias: bb, strides: 2, pad: 'same', activation, leakyreluAlpha: 0.2 });
        return tf.sum(tf.mul(y, rand(y.shape, 9)));
      };
      return tf.grads(f)([x, w, b]);
    });
  });

  it.each([
    { k: 3, stride: 1, pad: 'same' as const, m: 1 },
    { k: 3, stride: 2, pad: 'same' as const, m: 2 },
    { k: 4, stride: 2, pad: 'valid' as const, m: 3 },
  ])('depthwise conv2d gradient k=$k stride=$stride pad=$pad multiplier=$m matches cpu', async ({ k, stride, pad, m }) => {
    await expectWasmMatchesCpu(() => {
      const x = rand([2, 9, 12, 3], 10);
      const w = rand([k, k, 3, m], 11);
      const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Tensor => {
        const y = tf.depthwiseConv2d(xx as T4, ww as T4, stride, pad);
        return tf.sum(tf.mul(y, rand(y.shape, 12)));
      };
      return tf.grads(f)([x, w]);
    });
  });

  it('gather gradient (UnsortedSegmentSum) matches cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const table = rand([5, 3, 2], 13);
      const f = (t: tf.Tensor): tf.Tensor => {
        const g = tf.gather(t, tf.tensor1d([4, 0, 4, 2, 4], 'int32'), 0);
        return tf.sum(tf.mul(g, rand(g.shape, 14)));
      };
      return [tf.grad(f)(table)];
    });
  });

  it('tf.variableGrads of a tiny conv net matches cpu, without leaks', async () => {
    const run = async (backend: BackendName) => {
      await useBackend(backend);
      const vars = [
        tf.variable(rand([7, 7, 3, 4], 20), true, `w1_${backend}`),
        tf.variable(rand([4], 21), true, `b1_${backend}`),
        tf.variable(rand([4, 4, 4, 6], 22), true, `w2_${backend}`),
      ] as const;
      const x = rand([2, 12, 10, 3], 23);
      const lossFn = (): tf.Scalar => {
        const xp = tf.pad(x, [[0, 0], [3, 3], [3, 3], [0, 0]]);
        const h = tf.leakyRelu(tf.add(tf.conv2d(xp as T4, vars[0] as tf.Tensor4D, 1, 'valid'), vars[1]), 0.2);
        const hp = tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        const y = tf.tanh(tf.conv2d(hp as T4, vars[2] as tf.Tensor4D, 2, 'valid'));
        const gap = tf.mean(y, [1, 2]);
        const gmp = tf.max(y, [1, 2]);
        return tf.mean(tf.abs(tf.sub(tf.concat([gap, gmp], 1), 0.1)));
      };
      // Warm up once, then check that a further gradient step leaks nothing.
      tf.dispose(tf.variableGrads(lossFn));
      const tensorsBefore = tf.memory().numTensors;
      const dataIdsBefore = tf.engine().backend.numDataIds();
      const { value, grads } = tf.variableGrads(lossFn);
      const out = {
        loss: (await value.data())[0]!,
        grads: await Promise.all(vars.map(async (v) => Float32Array.from(await grads[v.name]!.data()))),
      };
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
      x.dispose();
      tf.dispose([...vars]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.loss)));
    cpu.grads.forEach((ref, i) => expect(relError(wasm.grads[i]!, ref), `grad ${i}`).toBeLessThanOrEqual(1e-4));
  });
});
