import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { encodePNG } from '../../src/data/image-codec';
import { ImageFolderDataset, listImages, openUnpairedFolders, type BadImageFile } from '../../src/data/image-folder';
import { UGATITFormatError } from '../../src/errors';

let root: string;

function solid(w: number, h: number, v: number): Uint8Array {
  return encodePNG({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(v) });
}

function solidJpeg(w: number, h: number, v: number): Uint8Array {
  const data = new Uint8Array(w * h * 4).fill(v);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 100).data);
}

/** Mean pixel of each sample, mapped back to 0–255, which identifies the file. */
async function ids(batch: tf.Tensor4D): Promise<number[]> {
  const m = tf.tidy(() => tf.round(tf.mul(tf.add(tf.mean(batch, [1, 2, 3]), 1), 127.5)));
  const out = Array.from(await m.data());
  tf.dispose([m, batch]);
  return out;
}

beforeAll(async () => {
  await useBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'ugatit-data-'));
  for (const split of ['trainA', 'trainB', 'testA', 'testB']) await mkdir(join(root, split));
  // trainA: 5 good images (values 10..50, mixed formats, sizes and a nested folder), 1 bad
  await writeFile(join(root, 'trainA', 'a.png'), solid(12, 10, 10));
  await writeFile(join(root, 'trainA', 'b.jpg'), solidJpeg(16, 16, 20));
  await writeFile(join(root, 'trainA', 'c.PNG'), solid(9, 9, 30));
  await writeFile(join(root, 'trainA', 'd.jpeg'), solid(20, 8, 40)); // a PNG named .jpeg
  await mkdir(join(root, 'trainA', 'sub'));
  await writeFile(join(root, 'trainA', 'sub', 'e.png'), solid(10, 10, 50));
  await writeFile(join(root, 'trainA', 'broken.png'), new Uint8Array(0));
  await writeFile(join(root, 'trainA', 'notes.txt'), 'not an image');
  for (const split of ['trainB', 'testA', 'testB']) {
    for (let k = 0; k < 3; k++) await writeFile(join(root, split, `${k}.png`), solid(8, 8, 100 + 10 * k));
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ImageFolderDataset (cpu)', () => {
  it('lists images recursively in the reference order, by extension, case-insensitively', async () => {
    const files = await listImages(join(root, 'trainA'));
    expect(files.map((f) => f.slice(root.length + 8))).toEqual(['a.png', 'b.jpg', 'broken.png', 'c.PNG', 'd.jpeg', 'sub/e.png']);
  });

  it('throws UGATITFormatError naming the bad file by default', async () => {
    const ds = await ImageFolderDataset.open(join(root, 'trainA'), { size: 8, train: false });
    const seen: number[] = [];
    let err: unknown;
    try {
      for (let i = 0; i < 6; i++) seen.push(...(await ids(await ds.nextBatch(1))));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UGATITFormatError);
    expect((err as Error).message).toMatch(/trainA[/\\]broken\.png: empty file/);
    expect(seen).toEqual([10, 20]);
  });

  it('skip-and-report reports the bad file with its path once, and never returns it', async () => {
    const reports: BadImageFile[] = [];
    const ds = await ImageFolderDataset.open(join(root, 'trainA'), { size: 8, seed: 3, onBadFile: 'skip-and-report', onReport: (b) => reports.push(b) });
    const before = tf.memory().numTensors;
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(...(await ids(await ds.nextBatch(5))));
    expect(tf.memory().numTensors).toBe(before);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.path).toMatch(/broken\.png$/);
    expect(reports[0]!.error.message).toMatch(/broken\.png: empty file/);
    expect(ds.badFiles).toEqual(reports);
    // four epochs of the 5 good files, each a permutation, with mean values ≈ 10..50 (JPEG within 1)
    for (let e = 0; e < 4; e++) {
      const epoch = got.slice(5 * e, 5 * e + 5).map((v) => Math.round(v / 10) * 10).sort((a, b) => a - b);
      expect(epoch).toEqual([10, 20, 30, 40, 50]);
    }
    expect(ds.epoch).toBe(4);
  });

  it('returns the short last batch of an epoch, then reshuffles; dropLast drops it', async () => {
    const ds = await ImageFolderDataset.open(join(root, 'trainB'), { size: 8, seed: 1 });
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = await ds.nextBatch(2);
      expect(b.shape.slice(1)).toEqual([8, 8, 3]);
      sizes.push(b.shape[0]);
      b.dispose();
    }
    expect(sizes).toEqual([2, 1, 2, 1]);
    const dl = await ImageFolderDataset.open(join(root, 'trainB'), { size: 8, seed: 1, dropLast: true });
    for (let i = 0; i < 3; i++) {
      const b = await dl.nextBatch(2);
      expect(b.shape[0]).toBe(2);
      b.dispose();
    }
    expect(dl.epoch).toBe(3);
  });

  it('getState/setState (through JSON) reproduces the same next batches', async () => {
    const a = await ImageFolderDataset.open(join(root, 'trainA'), { size: 8, seed: 11, onBadFile: 'skip-and-report' });
    for (let i = 0; i < 7; i++) (await a.nextBatch(1)).dispose();
    const state = JSON.parse(JSON.stringify(a.getState()));
    const nextA: number[][] = [];
    for (let i = 0; i < 8; i++) {
      const b = await a.nextBatch(2);
      nextA.push(Array.from(await b.data()));
      b.dispose();
    }
    const b = await ImageFolderDataset.open(join(root, 'trainA'), { size: 8, seed: 999, onBadFile: 'skip-and-report' });
    b.setState(state);
    for (let i = 0; i < 8; i++) {
      const t = await b.nextBatch(2);
      expect(Array.from(await t.data())).toEqual(nextA[i]);
      t.dispose();
    }
    expect(() => b.setState({ ...state, fileCount: 3 })).toThrow(/state is for 3 files/);
    expect(() => b.setState({ ...state, order: [99] })).toThrow(/malformed state/);
  });

  it('same seed, same stream; test folders keep file order', async () => {
    const x = await ImageFolderDataset.open(join(root, 'trainB'), { size: 8, seed: 5 });
    const y = await ImageFolderDataset.open(join(root, 'trainB'), { size: 8, seed: 5 });
    for (let i = 0; i < 4; i++) {
      const [p, q] = [await x.nextBatch(1), await y.nextBatch(1)];
      expect(Array.from(await p.data())).toEqual(Array.from(await q.data()));
      tf.dispose([p, q]);
    }
    const sets = await openUnpairedFolders(root, { size: 8 });
    expect(await ids(await sets.testA.nextBatch(3))).toEqual([100, 110, 120]);
    expect(sets.trainA.length).toBe(6);
  });

  it('rejects an empty folder and bad options', async () => {
    await mkdir(join(root, 'empty'));
    await expect(ImageFolderDataset.open(join(root, 'empty'), { size: 8 })).rejects.toThrow(/found no image file under .*empty/);
    await expect(ImageFolderDataset.open(join(root, 'missing'), { size: 8 })).rejects.toThrow(/cannot read directory .*missing/);
    await expect(ImageFolderDataset.open(join(root, 'trainB'), { size: 0 })).rejects.toThrow(/size must be a positive integer/);
    const ds = await ImageFolderDataset.open(join(root, 'trainB'), { size: 8 });
    await expect(ds.nextBatch(0)).rejects.toThrow(/batchSize must be a positive integer/);
  });
});
