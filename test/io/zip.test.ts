import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { crc32, readZip } from '../../src/io/zip';
import { buildZip } from './builders';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  expect(f).toThrow(UGATITFormatError);
  expect(f).toThrow(pattern);
}

describe('readZip', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('lists and reads stored entries, with or without ZIP64 end records', () => {
    for (const zip64 of [true, false]) {
      const zip = readZip(buildZip([['a/x', enc('hello')], ['a/empty', new Uint8Array(0)]], zip64));
      expect([...zip.entries.keys()]).toEqual(['a/x', 'a/empty']);
      expect(new TextDecoder().decode(zip.read('a/x'))).toBe('hello');
      expect(zip.read('a/empty').length).toBe(0);
      expectFormatError(() => zip.read('nope'), /no entry named "nope"/);
    }
  });

  it('reads the PyTorch fixture, which carries ZIP64 end records', () => {
    const zip = readZip(new Uint8Array(readFileSync(new URL('../fixtures/pytorch-reference/train-step-init.zip.pt', import.meta.url))));
    expect(zip.entries.size).toBe(190);
    expect(new TextDecoder().decode(zip.read('train-step-init.zip/version'))).toBe('3\n');
  });

  it('refuses compressed, encrypted, corrupted and truncated archives', () => {
    const good = buildZip([['f', enc('data')]], false);
    const central = good.length - 22 - 47;
    const deflated = good.slice();
    deflated[central + 10] = 8;
    expectFormatError(() => readZip(deflated), /zip entry "f": compression method 8 \(deflate\) is not supported/);
    const encrypted = good.slice();
    encrypted[central + 8] = 1;
    expectFormatError(() => readZip(encrypted), /encrypted entries are not supported/);
    const corrupted = good.slice();
    corrupted[31] ^= 1;
    expectFormatError(() => readZip(corrupted).read('f'), /CRC-32 .* does not match/);
    expectFormatError(() => readZip(good.subarray(0, good.length - 1)), /no end-of-central-directory record/);
    expectFormatError(() => readZip(good.subarray(0, 10)), /too short/);
    expectFormatError(() => readZip(good.subarray(5)), /./);
  });

  it('refuses archives whose end record needs ZIP64 beyond 4 GiB, or lies about sizes', () => {
    const good = buildZip([['f', enc('data')]], false);
    const eocd = good.length - 22;
    const saturated = good.slice();
    new DataView(saturated.buffer).setUint32(eocd + 16, 0xffffffff, true);
    expectFormatError(() => readZip(saturated), /saturated fields but no zip64/);
    const big = buildZip([['f', enc('data')]], true);
    const r = big.length - 22 - 20 - 56;
    const huge = big.slice();
    new DataView(huge.buffer).setBigUint64(r + 48, 2n ** 40n, true);
    expectFormatError(() => readZip(huge), /archives over 4 GiB/);
    const lying = good.slice();
    new DataView(lying.buffer).setUint16(eocd + 10, 2, true);
    new DataView(lying.buffer).setUint16(eocd + 8, 2, true);
    expectFormatError(() => readZip(lying), /2 entries cannot fit/);
    const dup = buildZip([['f', enc('a')], ['f', enc('b')]], false);
    expectFormatError(() => readZip(dup), /appears twice/);
  });
});
