import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { readSafetensors } from '../../src/io/safetensors';
import { readTorchCheckpoint } from '../../src/io/torch-checkpoint';
import { useBackend } from '../helpers/backends';
import {
  buildLegacyCheckpoint, buildZipCheckpoint, PickleWriter, smallLegacyCheckpoint, smallZipCheckpoint,
  stateDictPickle, storageBytes, TensorSpec,
} from './builders';

const FIXTURES = new URL('../fixtures/pytorch-reference/', import.meta.url);
const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const NETS = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];

function disposeAll(v: unknown): void {
  if (v instanceof tf.Tensor) v.dispose();
  else if (Array.isArray(v)) v.forEach(disposeAll);
  else if (v !== null && typeof v === 'object') Object.values(v).forEach(disposeAll);
}

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    disposeAll(f());
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a UGATITFormatError').toBeInstanceOf(UGATITFormatError);
  expect((error as Error).message).toMatch(pattern);
}

beforeAll(async () => { await useBackend('cpu'); });
let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

describe('readTorchCheckpoint on the reference fixtures', () => {
  const reference = (): Record<string, tf.Tensor> => readSafetensors(load('train-step.safetensors'));

  for (const file of ['train-step-init.zip.pt', 'train-step-init.legacy.pt']) {
    it(`${file} holds exactly the init.<net>.<key> tensors of train-step.safetensors`, () => {
      const ref = reference();
      const ckpt = readTorchCheckpoint(load(file)) as Record<string, Record<string, tf.Tensor>>;
      try {
        expect(Object.keys(ckpt)).toEqual(NETS);
        for (const net of NETS) {
          const expectedKeys = Object.keys(ref).filter((k) => k.startsWith(`init.${net}.`)).map((k) => k.slice(`init.${net}.`.length));
          expect(Object.keys(ckpt[net]).sort()).toEqual(expectedKeys.sort());
          for (const key of expectedKeys) {
            const got = ckpt[net][key];
            const want = ref[`init.${net}.${key}`];
            expect(got, `${net}.${key}`).toBeInstanceOf(tf.Tensor);
            expect(got.shape, `${net}.${key}`).toEqual(want.shape);
            expect(got.dtype, `${net}.${key}`).toBe(want.dtype);
            // Exact equality, bit for bit (NaN-free weights: compare as typed arrays).
            expect(Buffer.from((got.dataSync() as Float32Array).buffer).equals(Buffer.from((want.dataSync() as Float32Array).buffer)), `${net}.${key}`).toBe(true);
          }
        }
        // A state_dict keeps PyTorch's insertion order.
        expect(Object.keys(ckpt.genA2B)[0]).toBe('gap_fc.weight');
      } finally {
        disposeAll(ref);
        disposeAll(ckpt);
      }
    });
  }

  it('refuses truncated fixtures with a format error', () => {
    for (const file of ['train-step-init.zip.pt', 'train-step-init.legacy.pt']) {
      const bytes = load(file);
      for (const keep of [0, 1, 10, 100, 4096, bytes.length >> 1, bytes.length - 30, bytes.length - 1]) {
        expectFormatError(() => readTorchCheckpoint(bytes.subarray(0, keep)), /./);
      }
    }
  });

  it('detects a flipped bit in a zip storage record by its CRC', () => {
    const bytes = load('train-step-init.zip.pt').slice();
    bytes[40_000] ^= 0x10;
    expectFormatError(() => readTorchCheckpoint(bytes), /CRC-32 .* does not match/);
  });
});

describe('readTorchCheckpoint on hand-built files', () => {
  const expectSmall = (sd: Record<string, tf.Tensor>): void => {
    expect(Object.keys(sd)).toEqual(['conv.weight', 'fc.weight_t', 'fc.bias', 'norm.num_batches_tracked', 'double']);
    expect(sd['conv.weight'].shape).toEqual([2, 3, 2]);
    expect(Array.from(sd['conv.weight'].dataSync())).toEqual([0, 1, 2, 3, 4, 5, -1.5, 2.25, NaN, -0, Math.fround(1e-7), Math.fround(3e38)]);
    // Strides [1, 3]: the transpose of the first 6 elements viewed as [2, 3].
    expect(Array.from(sd['fc.weight_t'].dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(sd['fc.bias'].dataSync())).toEqual([-1.5, 2.25, NaN, -0]);
    expect(sd['norm.num_batches_tracked'].dtype).toBe('int32');
    expect(sd['norm.num_batches_tracked'].shape).toEqual([]);
    expect(sd['norm.num_batches_tracked'].dataSync()[0]).toBe(7);
    expect(sd.double.dtype).toBe('float32');
    expect(Array.from(sd.double.dataSync())).toEqual([-2.5]);
  };

  it('reads views, offsets, shared storages, int64 and float64 (zip format, any folder name)', () => {
    const ckpt = readTorchCheckpoint(smallZipCheckpoint('net')) as { net: Record<string, tf.Tensor> };
    try { expectSmall(ckpt.net); } finally { disposeAll(ckpt); }
  });

  it('reads the same from the legacy format', () => {
    const sd = readTorchCheckpoint(smallLegacyCheckpoint()) as Record<string, tf.Tensor>;
    try { expectSmall(sd); } finally { disposeAll(sd); }
  });

  it('accepts any top folder name in the zip format', () => {
    const t: TensorSpec = { name: 'w', key: '0', storage: 'FloatStorage', numel: 2, offset: 0, shape: [2], stride: [1] };
    const bytes = buildZipCheckpoint(stateDictPickle([t], false), [['0', storageBytes('FloatStorage', [1, 2])]], 'my_model-v2');
    const sd = readTorchCheckpoint(bytes) as Record<string, tf.Tensor>;
    try { expect(Array.from(sd.w.dataSync())).toEqual([1, 2]); } finally { disposeAll(sd); }
  });

  it('refuses an int64 value outside int32', () => {
    const t: TensorSpec = { name: 'n', key: '0', storage: 'LongStorage', numel: 1, offset: 0, shape: [1], stride: [1] };
    const bytes = buildZipCheckpoint(stateDictPickle([t], false), [['0', storageBytes('LongStorage', [2 ** 40])]]);
    expectFormatError(() => readTorchCheckpoint(bytes), /int64 value 1099511627776 does not fit int32/);
  });

  it('refuses views that reach outside their storage', () => {
    const views: Array<[Partial<TensorSpec>, RegExp]> = [
      [{ offset: 3 }, /reaches element 4, outside storage "0" of 4 elements/],
      [{ shape: [5], stride: [1] }, /outside storage/],
      [{ shape: [2, 2], stride: [2, 2] }, /outside storage/],
    ];
    for (const [change, pattern] of views) {
      const t: TensorSpec = { name: 'w', key: '0', storage: 'FloatStorage', numel: 4, offset: 0, shape: [2], stride: [1], ...change };
      const bytes = buildZipCheckpoint(stateDictPickle([t], false), [['0', storageBytes('FloatStorage', [1, 2, 3, 4])]]);
      expectFormatError(() => readTorchCheckpoint(bytes), pattern);
    }
  });

  it('refuses a storage claiming terabytes, and a stride-0 view claiming billions of elements, before allocating', () => {
    const huge: TensorSpec = { name: 'w', key: '0', storage: 'FloatStorage', numel: 2 ** 40, offset: 0, shape: [2 ** 20, 2 ** 20], stride: [2 ** 20, 1] };
    const a = buildZipCheckpoint(stateDictPickle([huge], false), [['0', storageBytes('FloatStorage', [1])]]);
    expectFormatError(() => readTorchCheckpoint(a), /4 bytes for 1099511627776 elements of FloatStorage/);
    const legacy = buildLegacyCheckpoint(stateDictPickle([{ ...huge, shape: [4], stride: [1] }], true), [['0', 2 ** 40, storageBytes('FloatStorage', [1])]]);
    expectFormatError(() => readTorchCheckpoint(legacy), /truncated file/);
    const broadcast: TensorSpec = { name: 'w', key: '0', storage: 'FloatStorage', numel: 1, offset: 0, shape: [2 ** 16, 2 ** 16], stride: [0, 0] };
    const b = buildZipCheckpoint(stateDictPickle([broadcast], false), [['0', storageBytes('FloatStorage', [1])]]);
    expectFormatError(() => readTorchCheckpoint(b), /more than 536870912 elements/);
    const many = Array.from({ length: 8 }, (_, i) => ({ ...broadcast, name: `w${i}`, shape: [2 ** 28], stride: [0] }));
    const c = buildZipCheckpoint(stateDictPickle(many, false), [['0', storageBytes('FloatStorage', [1])]]);
    expectFormatError(() => readTorchCheckpoint(c), /more than 1073741824 elements in all/);
  });

  it('refuses a storage record of the wrong size, and a missing one', () => {
    const t: TensorSpec = { name: 'w', key: '0', storage: 'FloatStorage', numel: 4, offset: 0, shape: [4], stride: [1] };
    expectFormatError(() => readTorchCheckpoint(buildZipCheckpoint(stateDictPickle([t], false), [['0', storageBytes('FloatStorage', [1, 2, 3])]])),
      /12 bytes for 4 elements of FloatStorage \(expected 16\)/);
    expectFormatError(() => readTorchCheckpoint(buildZipCheckpoint(stateDictPickle([t], false), [])), /storage "0" has no record archive\/data\/0/);
  });

  it('refuses a pickle that names posix.system, in both formats, before calling anything', () => {
    // cposix\nsystem\n(X2:echo pwned\ntR. — the classic payload, GLOBAL + REDUCE.
    const evil = new PickleWriter().proto(2).global('posix', 'system').mark().str('echo pwned').tuple().reduce().stop().bytes();
    expectFormatError(() => readTorchCheckpoint(buildZipCheckpoint(evil, [])), /global posix\.system is not allowed/);
    expectFormatError(() => readTorchCheckpoint(buildLegacyCheckpoint(evil, [])), /global posix\.system is not allowed/);
    const stackGlobal = new PickleWriter().proto(4).str('builtins').str('eval').op(0x93).stop().bytes();
    expectFormatError(() => readTorchCheckpoint(buildZipCheckpoint(stackGlobal, [])), /global builtins\.eval is not allowed/);
  });

  it('refuses things that are not checkpoints', () => {
    expectFormatError(() => readTorchCheckpoint(new Uint8Array(0)), /neither a zip archive nor a legacy checkpoint/);
    expectFormatError(() => readTorchCheckpoint(new TextEncoder().encode('hello world')), /neither a zip archive nor a legacy checkpoint/);
    const notMagic = new PickleWriter().proto(2).int(5).stop().bytes();
    expectFormatError(() => readTorchCheckpoint(notMagic), /wrong magic number/);
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    expectFormatError(() => readTorchCheckpoint(tar), /tar-format checkpoints/);
  });
});
