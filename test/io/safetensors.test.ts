import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { useBackend } from '../helpers/backends';

function disposeAll(v: Record<string, tf.Tensor>): void {
  for (const t of Object.values(v)) t.dispose();
}

/** A safetensors file from a header object and raw data. */
function file(header: unknown, data = new Uint8Array(0), headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectFormatError(f: () => Record<string, tf.Tensor>, pattern: RegExp): void {
  let error: unknown;
  try { disposeAll(f()); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(UGATITFormatError);
  expect((error as Error).message).toMatch(pattern);
}

beforeAll(async () => { await useBackend('cpu'); });
let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

describe('safetensors', () => {
  it('round-trips float32 (NaN, ±0, ±Inf, subnormals), int32 and bool bit for bit', () => {
    const f = new Float32Array([NaN, -0, 0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, -1.5]);
    const tensors = {
      'a.weight': tf.tensor(f, [2, 4]),
      'b.count': tf.tensor([-(2 ** 31), 2 ** 31 - 1, 0], [3], 'int32'),
      'c.flag': tf.tensor([true, false], [2], 'bool'),
      'd.scalar': tf.scalar(2.5),
      'e.empty': tf.zeros([0, 3]),
    };
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'ünïcödé' });
    const back = readSafetensors(bytes);
    try {
      expect(Object.keys(back)).toEqual(Object.keys(tensors).sort());
      expect(Buffer.from((back['a.weight'].dataSync() as Float32Array).buffer).equals(Buffer.from(f.buffer))).toBe(true);
      expect(Array.from(back['b.count'].dataSync())).toEqual([-(2 ** 31), 2 ** 31 - 1, 0]);
      expect(back['c.flag'].dtype).toBe('int32');
      expect(Array.from(back['c.flag'].dataSync())).toEqual([1, 0]);
      expect(back['d.scalar'].shape).toEqual([]);
      expect(back['e.empty'].shape).toEqual([0, 3]);
    } finally {
      disposeAll(back);
      disposeAll(tensors);
    }
  });

  it('pads the header to 8 bytes counting UTF-8 bytes, not UTF-16 units', () => {
    for (const name of ['é', 'éé', '日本', '😀x', 'ascii']) {
      const t = { [name]: tf.tensor([1, 2, 3]) };
      const bytes = writeSafetensors(t, { k: '€' });
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + headerLength) % 8, name).toBe(0);
      const back = readSafetensors(bytes);
      expect(Array.from(back[name].dataSync())).toEqual([1, 2, 3]);
      disposeAll(back);
      disposeAll(t);
    }
  });

  it('keeps a tensor named "__proto__" as a key', () => {
    const data = new Uint8Array(new Float32Array([7]).buffer);
    const back = readSafetensors(file(null, data, '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
    disposeAll(back);
  });

  it('reads F16, BF16, F64, I64, I16, I8, U8', () => {
    const parts: Array<[string, string, number[], Uint8Array]> = [
      ['h', 'F16', [3], new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00]).buffer)],
      ['b', 'BF16', [2], new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer)],
      ['d', 'F64', [1], new Uint8Array(new Float64Array([0.1]).buffer)],
      ['l', 'I64', [2], new Uint8Array(new BigInt64Array([-5n, 2147483647n]).buffer)],
      ['s', 'I16', [1], new Uint8Array(new Int16Array([-300]).buffer)],
      ['c', 'I8', [1], new Uint8Array([0xff])],
      ['u', 'U8', [1], new Uint8Array([0xff])],
    ];
    const header: Record<string, unknown> = {};
    let at = 0;
    for (const [name, dtype, shape, data] of parts) { header[name] = { dtype, shape, data_offsets: [at, at + data.length] }; at += data.length; }
    const data = new Uint8Array(at);
    at = 0;
    for (const [, , , d] of parts) { data.set(d, at); at += d.length; }
    const back = readSafetensors(file(header, data));
    expect(Array.from(back.h.dataSync())).toEqual([1, -2, Infinity]);
    expect(Array.from(back.b.dataSync())).toEqual([1, -3]);
    expect(back.d.dataSync()[0]).toBe(Math.fround(0.1));
    expect(Array.from(back.l.dataSync())).toEqual([-5, 2147483647]);
    expect(back.s.dataSync()[0]).toBe(-300);
    expect(back.c.dataSync()[0]).toBe(-1);
    expect(back.u.dataSync()[0]).toBe(255);
    disposeAll(back);
  });

  it('reads the reference fixtures', () => {
    const back = readSafetensors(new Uint8Array(readFileSync(new URL('../fixtures/pytorch-reference/generator-light.safetensors', import.meta.url))));
    expect(back.input.shape).toEqual([2, 3, 32, 32]);
    disposeAll(back);
  });

  it('refuses malformed files with messages naming the problem', () => {
    const four = new Uint8Array(16);
    const ok = { dtype: 'F32', shape: [4], data_offsets: [0, 16] };
    expectFormatError(() => readSafetensors(new Uint8Array(3)), /shorter than the 8-byte header length/);
    const terabytes = new Uint8Array(16);
    new DataView(terabytes.buffer).setBigUint64(0, 2n ** 42n, true);
    expectFormatError(() => readSafetensors(terabytes), /header claims 4398046511104 bytes, above the 104857600-byte limit/);
    const max = new Uint8Array(16);
    new DataView(max.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expectFormatError(() => readSafetensors(max), /header claims 18446744073709551615 bytes/);
    expectFormatError(() => readSafetensors(file({ w: ok }, four).subarray(0, 20)), /but only 12 follow/);
    expectFormatError(() => readSafetensors(file(null, four, '{"w": ')), /not valid UTF-8 JSON/);
    expectFormatError(() => readSafetensors(file([1, 2])), /not a JSON object/);
    expectFormatError(() => readSafetensors(file({ __metadata__: { a: 1 } })), /__metadata__ is not a string → string map/);
    expectFormatError(() => readSafetensors(file({ __metadata__: 'x' })), /__metadata__ is not a string → string map/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, dtype: 'F8' } }, four)), /unsupported dtype "F8"/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, dtype: 'constructor' } }, four)), /unsupported dtype "constructor"/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [1.5] } }, four)), /invalid shape \[1.5\]/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: ['4'] } }, four)), /invalid shape/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [null] } }, four)), /invalid shape/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [-4] } }, four)), /invalid shape/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [2 ** 20, 2 ** 20] } }, four)), /more than 536870912 elements/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [1e300] } }, four)), /invalid shape/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, data_offsets: [0, 20] } }, four)), /outside the 16 data bytes/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, data_offsets: [8, 4] } }, four)), /outside/);
    expectFormatError(() => readSafetensors(file({ w: { ...ok, shape: [3] } }, four)), /16 bytes for shape \[3\] of F32 \(expected 12\)/);
    expectFormatError(() => readSafetensors(file({ w: 5 }, four)), /entry is not an object/);
    const two = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    expectFormatError(() => readSafetensors(file({ a: two, b: two }, four)), /tensor "b": data_offsets start at 0, expected 8 \(gap or overlap\)/);
    expectFormatError(() => readSafetensors(file({ a: two, b: { ...two, data_offsets: [12, 20] } }, new Uint8Array(20))), /start at 12, expected 8/);
    expectFormatError(() => readSafetensors(file({ a: two }, four)), /cover 8 of the 16 data bytes/);
    const i64 = new Uint8Array(new BigInt64Array([2n ** 40n]).buffer);
    expectFormatError(() => readSafetensors(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, n: { dtype: 'I64', shape: [1], data_offsets: [4, 12] } }, new Uint8Array([0, 0, 0, 0, ...i64]))), /int64 value 1099511627776 does not fit int32/);
  });

  it('refuses to write what it could not read', () => {
    const t = tf.scalar(1);
    expect(() => writeSafetensors({ __metadata__: t })).toThrow(/cannot be named "__metadata__"/);
    expect(() => writeSafetensors({ t }, { a: 1 as unknown as string })).toThrow(/metadata must map strings to strings/);
    t.dispose();
  });
});
