import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, truncate, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { crc32c, maskCrc32c } from '../../src/io/crc32c';
import { readLevelDbTable } from '../../src/io/leveldb-table';
import { parseTFBundleIndex, readTFBundle } from '../../src/io/tf-bundle';
import { openTFCheckpoint, parseTFCheckpointState, resolveTFCheckpointPrefix } from '../../src/io/tf-checkpoint';
import { useBackend } from '../helpers/backends';
import { TF_CASES, tfCheckpointDir, tfManifest, tfVariables } from '../helpers/tf-fixtures';
import {
  assembleTable, buildTfBundle, bundleEntryProto, bundleHeaderProto, dataBlocks, encodeBlock, writeTfCheckpoint,
} from '../helpers/tf-checkpoint-writer';

const enc = (s: string) => new TextEncoder().encode(s);

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    const out = f();
    if (out && typeof out === 'object') tf.dispose(Object.values(out as Record<string, tf.Tensor>));
  } catch (e) { error = e; }
  expect(error).toBeInstanceOf(UGATITFormatError);
  expect((error as Error).message).toMatch(pattern);
}

async function expectRejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await p.then((v) => { if (v instanceof tf.Tensor) v.dispose(); return undefined; }, (e: unknown) => e);
  expect(error).toBeInstanceOf(UGATITFormatError);
  expect((error as Error).message).toMatch(pattern);
}

/** A small bundle with several dtypes, many entries and tiny blocks (several data blocks, restarts). */
function sampleTensors() {
  const tensors = [
    { name: 'b/kernel', shape: [2, 3], values: new Float32Array([1, -2, 3.5, NaN, -0, 1e-40]) },
    { name: 'a', shape: [], values: new Float32Array([0.25]) },
    { name: 'b/bias', shape: [3], dtype: 'float64' as const, values: new Float64Array([1 / 3, -1e300, 2]) },
    { name: 'c/count', shape: [2], dtype: 'int64' as const, values: new BigInt64Array([-5n, 2n ** 31n - 1n]) },
    { name: 'c/steps', shape: [2, 1], dtype: 'int32' as const, values: new Int32Array([7, -8]) },
    { name: 'empty', shape: [0, 4], values: new Float32Array(0) },
  ];
  for (let i = 0; i < 40; i++) tensors.push({ name: `layer_${String(i).padStart(2, '0')}/w`, shape: [1], values: new Float32Array([i]) });
  return tensors;
}

let dir = '';
beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'ugatit-tfckpt-'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });
let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors).toBe(before); });

describe('CRC-32C', () => {
  it('matches the published check values', () => {
    // The CRC catalogue's check value for CRC-32C, and RFC 3720's 32 zero bytes / 32 0xff bytes.
    expect(crc32c(enc('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('continues across pieces of any length', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131) & 0xff);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) expect(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut)))).toBe(crc32c(bytes));
  });
});

describe('official checkpoints (written by tf.train.Saver)', () => {
  it.each(TF_CASES)('%s: every variable read with the official shape, sum and first values; .meta ignored', async (name) => {
    const expected = tfVariables(name);
    const ckpt = await openTFCheckpoint(tfCheckpointDir(name));
    try {
      expect(ckpt.prefix).toBe(path.join(tfCheckpointDir(name), path.basename(tfManifest.cases[name]!.checkpoint_prefix)));
      expect(ckpt.header).toEqual({ numShards: 1, endianness: 'little', producer: 1, minConsumer: 0 });
      expect([...ckpt.entries.keys()].sort()).toEqual(expected.map((v) => v.name).sort());
      for (const v of expected) {
        const t = await ckpt.readTensor(v.name);
        const values = t.dataSync();
        let sum = 0;
        for (const x of values) sum += x;
        expect(t.shape, v.name).toEqual(v.shape);
        expect(sum, v.name).toBeCloseTo(v.sum, 9);
        expect(Array.from(values.subarray(0, 3)), v.name).toEqual(v.first);
        t.dispose();
      }
    } finally {
      await ckpt.close();
    }
  });

  it('keys come in bytewise order, the header first (as TensorFlow\'s table reader requires)', async () => {
    const bytes = new Uint8Array(await readFile(`${path.join(tfCheckpointDir('full-48'), 'UGATIT.model-1000000')}.index`));
    const keys = readLevelDbTable(bytes).map((e) => Buffer.from(e.key));
    expect(keys[0]!.length).toBe(0);
    for (let i = 1; i < keys.length; i++) expect(Buffer.compare(keys[i - 1]!, keys[i]!)).toBe(-1);
  });
});

describe('tensor bundles of our writer', () => {
  it('round-trips float32 (NaN, -0, subnormals), float64, int32, int64 and empty tensors over many blocks', () => {
    const tensors = sampleTensors();
    for (const blockSize of [64, 262_144]) {
      const { index, data } = buildTfBundle(tensors, { blockSize, restartInterval: 3 });
      const parsed = parseTFBundleIndex(index);
      expect([...parsed.entries.keys()]).toEqual(tensors.map((t) => t.name).sort());
      const back = readTFBundle(index, [data]);
      try {
        for (const t of tensors) {
          expect(back[t.name]!.shape, t.name).toEqual(t.shape);
          const want = t.values instanceof BigInt64Array ? Array.from(t.values, Number) : Array.from(t.values as Float32Array, (x) => Math.fround(x));
          expect(Array.from(back[t.name]!.dataSync()), t.name).toEqual(want);
        }
        expect(back.a!.dtype).toBe('float32');
        expect(back['c/count']!.dtype).toBe('int32');
      } finally {
        tf.dispose(Object.values(back));
      }
    }
  });

  it('streams one tensor at a time from a sparse file, reporting progress', async () => {
    const big = 3_000_000;
    const prefix = await writeTfCheckpoint(path.join(dir, 'stream'), 'model.ckpt-7', [
      { name: 'big', shape: [big] }, { name: 'small', shape: [2], values: new Float32Array([4, 5]) },
    ]);
    const ckpt = await openTFCheckpoint(path.join(dir, 'stream'));
    try {
      expect(ckpt.prefix).toBe(prefix);
      const progress: number[] = [];
      const t = await ckpt.readTensor('big', (p) => progress.push(p.bytesRead));
      expect(progress[progress.length - 1]).toBe(big * 4);
      expect(tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0])).toBe(0);
      t.dispose();
      const s = await ckpt.readTensor('small');
      expect(Array.from(s.dataSync())).toEqual([4, 5]);
      s.dispose();
    } finally {
      await ckpt.close();
    }
  });
});

describe('finding the checkpoint', () => {
  it('parses the checkpoint state text format, escapes included', () => {
    const state = parseTFCheckpointState('model_checkpoint_path: "a\\"b\\\\c\\303\\251\\x41"\nall_model_checkpoint_paths: "x"\nall_model_checkpoint_paths: \'y\'\nall_model_checkpoint_timestamps: 1565740000.5\nlast_preserved_timestamp: 1.5e9\n');
    expect(state).toEqual({ modelCheckpointPath: 'a"b\\céA', allModelCheckpointPaths: ['x', 'y'] });
    expectFormatError(() => parseTFCheckpointState(''), /no model_checkpoint_path/);
    expectFormatError(() => parseTFCheckpointState('model_checkpoint_path: unquoted'), /line 1.*not a quoted string/);
    expectFormatError(() => parseTFCheckpointState('model_checkpoint_path: "a\\qb"'), /unknown escape/);
    expectFormatError(() => parseTFCheckpointState('model_checkpoint_path: "\\377"'), /not valid UTF-8/);
    expectFormatError(() => parseTFCheckpointState('junk'), /line 1: not a "field: value" line/);
    expectFormatError(() => parseTFCheckpointState('model_checkpoint_path: "a"\nfoo: "bar"'), /line 2: unexpected field foo/);
  });

  it('resolves a folder, a prefix, an .index path, a moved absolute path, and says what is missing', async () => {
    const d = path.join(dir, 'resolve');
    const prefix = await writeTfCheckpoint(d, 'UGATIT.model-5', [{ name: 'w', shape: [1], values: new Float32Array([1]) }]);
    expect(await resolveTFCheckpointPrefix(d)).toBe(prefix);
    expect(await resolveTFCheckpointPrefix(prefix)).toBe(prefix);
    expect(await resolveTFCheckpointPrefix(`${prefix}.index`)).toBe(prefix);
    await writeFile(path.join(d, 'checkpoint'), 'model_checkpoint_path: "/gone/elsewhere/UGATIT.model-5"\n');
    expect(await resolveTFCheckpointPrefix(d)).toBe(prefix);
    await writeFile(path.join(d, 'checkpoint'), 'model_checkpoint_path: "UGATIT.model-6"\n');
    await expectRejects(resolveTFCheckpointPrefix(d), /names checkpoint "UGATIT.model-6".*UGATIT.model-6.index does not exist/);
    await rm(path.join(d, 'checkpoint'));
    expect(await resolveTFCheckpointPrefix(d)).toBe(prefix);
    await copyFile(`${prefix}.index`, path.join(d, 'other.index'));
    await expectRejects(resolveTFCheckpointPrefix(d), /no "checkpoint" file and 2 .index files \(UGATIT.model-5.index, other.index\)/);
    await mkdir(path.join(dir, 'empty'), { recursive: true });
    await expectRejects(resolveTFCheckpointPrefix(path.join(dir, 'empty')), /neither a TensorFlow "checkpoint" file nor a .index file/);
    await expectRejects(resolveTFCheckpointPrefix(path.join(dir, 'nothing-here')), /neither a checkpoint folder, a checkpoint prefix/);
  });
});

describe('refusals', () => {
  const tensors = [{ name: 'w', shape: [2], values: new Float32Array([1, 2]) }, { name: 'x', shape: [1], values: new Float32Array([3]) }];
  const table = (entries: Array<[Uint8Array, Uint8Array]>, blockSize?: number) => {
    const { blocks, lastKeys } = dataBlocks(entries, blockSize);
    return assembleTable(blocks, lastKeys);
  };
  const entry = (o: Partial<Parameters<typeof bundleEntryProto>[0]> = {}) => bundleEntryProto({ dtype: 1, shape: [2], offset: 0, size: 8, crc: 0, ...o });

  it('refuses broken tables: footer, magic, block CRC, compression, restarts, order, separators', () => {
    const { index } = buildTfBundle(tensors);
    expectFormatError(() => parseTFBundleIndex(index.subarray(0, 40)), /footer: file is 40 bytes/);
    const magic = index.slice();
    magic[magic.length - 1] ^= 1;
    expectFormatError(() => parseTFBundleIndex(magic), /footer: magic number/);
    const flipped = index.slice();
    flipped[3] ^= 0x10;
    expectFormatError(() => parseTFBundleIndex(flipped), /data block 0: CRC-32C .* does not match/);
    // A snappy block with a valid CRC.
    const block = encodeBlock([[new Uint8Array(0), bundleHeaderProto()]]);
    const snappy = assembleTable([block], [new Uint8Array(0)]);
    snappy[block.length] = 1;
    new DataView(snappy.buffer).setUint32(block.length + 1, maskCrc32c(crc32c(snappy.subarray(0, block.length + 1))), true);
    expectFormatError(() => parseTFBundleIndex(snappy), /compression type 1 \(snappy\) is not supported/);
    const badRestart = encodeBlock([[new Uint8Array(0), bundleHeaderProto()], [enc('w'), entry()]], 16);
    new DataView(badRestart.buffer).setUint32(badRestart.length - 8, 3, true);
    expectFormatError(() => parseTFBundleIndex(assembleTable([badRestart], [enc('w')])), /restart point 0 at byte 3/);
    const tooMany = encodeBlock([[new Uint8Array(0), bundleHeaderProto()]]);
    new DataView(tooMany.buffer).setUint32(tooMany.length - 4, 1000, true);
    expectFormatError(() => parseTFBundleIndex(assembleTable([tooMany], [new Uint8Array(0)])), /1000 restart points cannot fit/);
    const unordered = assembleTable([encodeBlock([[new Uint8Array(0), bundleHeaderProto()], [enc('x'), entry()], [enc('w'), entry()]], 1)], [enc('x')]);
    expectFormatError(() => parseTFBundleIndex(unordered), /not in strictly increasing order/);
    const lowSeparator = assembleTable([encodeBlock([[new Uint8Array(0), bundleHeaderProto()], [enc('w'), entry()]])], [enc('a')]);
    expectFormatError(() => parseTFBundleIndex(lowSeparator), /above its index entry's separator/);
    const twice = encodeBlock([[new Uint8Array(0), bundleHeaderProto()]]);
    const overlap = assembleTable([twice], [new Uint8Array(0)], { indexBlock: encodeBlock([[enc('a'), Uint8Array.of(0, twice.length)], [enc('b'), Uint8Array.of(0, twice.length)]], 1) });
    expectFormatError(() => parseTFBundleIndex(overlap), /data block 1: starts at byte 0, inside the previous block/);
    const sharedTooMuch = encodeBlock([[new Uint8Array(0), bundleHeaderProto()]]);
    sharedTooMuch[0] = 5;
    expectFormatError(() => parseTFBundleIndex(assembleTable([sharedTooMuch], [new Uint8Array(0)])), /shares 5 key bytes but the previous key has 0/);
  });

  it('refuses bad headers and entries', () => {
    expectFormatError(() => parseTFBundleIndex(table([[enc('w'), entry()]])), /first entry is not the header/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), Uint8Array.of(0x08, 0x01, 0x10, 0x01)]])), /big-endian bundles are not supported/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), Uint8Array.of(0x08, 0x01, 0x1a, 0x02, 0x10, 0x05)]])), /readers of version ≥ 5.*implements version 1/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), Uint8Array.of(0x08, 0x01, 0x1a, 0x03, 0x1a, 0x01, 0x01)]])), /bad: 1/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), Uint8Array.of(0x08, 0x00)]])), /num_shards 0 is not in/);
    const header = bundleHeaderProto();
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), header], [enc('w'), entry({ shardId: 1 })]])), /entry "w".*shard_id 1 is not below num_shards 1/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), header], [enc('w'), entry({ size: 12 })]])), /entry "w".*12 bytes for shape \[2\] of float32 \(expected 8\)/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), header], [enc('w'), Uint8Array.of(0x08, 0x01, 0x13)]])), /entry "w".*wire type 3/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), header], [enc('w'), Uint8Array.of(0x12, 0x05, 0x12, 0x01)]])), /entry "w": field 2 claims 5 bytes but 2 remain/);
    expectFormatError(() => parseTFBundleIndex(table([[new Uint8Array(0), header], [Uint8Array.of(0xff), entry()]])), /key of entry 1 is not valid UTF-8/);
  });

  it('refuses at read time what cannot become a tensor, before allocating', async () => {
    const header = bundleHeaderProto();
    const sliced = Uint8Array.from([...entry(), 0x3a, 0x00]);
    const indexes = {
      sliced: table([[new Uint8Array(0), header], [enc('w'), sliced]]),
      string: table([[new Uint8Array(0), header], [enc('w'), entry({ dtype: 7, size: 3 })]]),
      huge: table([[new Uint8Array(0), header], [enc('w'), entry({ shape: [2 ** 20, 2 ** 10], size: 2 ** 32 })]]),
    };
    expectFormatError(() => readTFBundle(indexes.sliced, [new Uint8Array(8)]), /partitioned \(sliced\) variable/);
    expectFormatError(() => readTFBundle(indexes.string, [new Uint8Array(8)]), /dtype string cannot be read/);
    expectFormatError(() => readTFBundle(indexes.huge, [new Uint8Array(8)]), /more than 536870912 elements/);
    const { index, data } = buildTfBundle(tensors);
    expectFormatError(() => readTFBundle(index, [data.subarray(0, 10)]), /data shard 0: entry "x" spans bytes \[8, 12\) but the shard has 10/);
    const corrupt = data.slice();
    corrupt[9] ^= 1;
    expectFormatError(() => readTFBundle(index, [corrupt]), /entry "x": CRC-32C .* \(corrupted data file\)/);
    expectFormatError(() => readTFBundle(index, []), /0 data shards given, the header declares 1/);
  });

  it('refuses missing and truncated shards and unknown names when streaming', async () => {
    const d = path.join(dir, 'broken');
    const prefix = await writeTfCheckpoint(d, 'm', tensors);
    const ckpt = await openTFCheckpoint(d);
    try {
      await expectRejects(ckpt.readTensor('nope'), /no variable named "nope"/);
      await truncate(`${prefix}.data-00000-of-00001`, 10);
      await expectRejects(ckpt.readTensor('x'), /entry "x" spans bytes \[8, 12\) but the shard has 10 \(truncated file\)/);
    } finally {
      await ckpt.close();
    }
    await rm(`${prefix}.data-00000-of-00001`);
    const again = await openTFCheckpoint(d);
    await expectRejects(again.readTensor('w'), /m\.data-00000-of-00001: data shard is missing/);
    await again.close();
  });
});
