import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AVATAR_SPLITS,
  avatarSeed,
  renderAvatarDataset,
  renderAvatarPng,
  type AvatarProgress,
} from '../../src/datasets/avatars';

describe('renderAvatarDataset', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ugatit-avatars-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the four splits, LICENSE.md and manifest.json, deterministically', async () => {
    const progress: AvatarProgress[] = [];
    const first = join(root, 'first');
    const result = await renderAvatarDataset({
      out: first,
      count: 3,
      testCount: 2,
      size: 32,
      seed: 7,
      onProgress: (p) => progress.push(p),
    });
    expect(result.counts).toEqual({ trainA: 3, trainB: 3, testA: 2, testB: 2 });
    expect((await readdir(first)).sort()).toEqual(['LICENSE.md', 'manifest.json', 'testA', 'testB', 'trainA', 'trainB']);
    expect(await readdir(join(first, 'trainA'))).toEqual(['00000.png', '00001.png', '00002.png']);
    expect(await readdir(join(first, 'testB'))).toEqual(['00000.png', '00001.png']);
    expect(progress).toHaveLength(10);
    expect(progress.at(-1)).toMatchObject({ done: 10, total: 10, split: 'testB', index: 1 });

    const png = PNG.sync.read(await readFile(join(first, 'trainB', '00001.png')));
    expect([png.width, png.height]).toEqual([32, 32]);
    // Plain shared background in the top-left corner of both domains.
    for (const split of ['trainA', 'trainB'] as const) {
      const img = PNG.sync.read(await readFile(join(first, split, '00000.png')));
      expect(Array.from(img.data.subarray(0, 3))).toEqual([0xcf, 0xd8, 0xdc]);
    }

    const license = await readFile(result.licensePath, 'utf8');
    expect(license).toContain('Pablo Stanley');
    expect(license).toContain('Free for personal and commercial use');
    expect(license).toContain('Lisa Wischofsky');
    expect(license).toContain('CC BY 4.0');
    expect(license).toContain('https://creativecommons.org/licenses/by/4.0/');

    const second = join(root, 'second');
    await renderAvatarDataset({ out: second, count: 3, testCount: 2, size: 32, seed: 7 });
    for (const split of AVATAR_SPLITS) {
      for (const name of await readdir(join(first, split))) {
        const a = await readFile(join(first, split, name));
        const b = await readFile(join(second, split, name));
        expect(a.equals(b), `${split}/${name}`).toBe(true);
      }
    }
    expect(await readFile(join(second, 'LICENSE.md'), 'utf8')).toBe(license);

    // Another seed gives other images.
    const other = join(root, 'other');
    await renderAvatarDataset({ out: other, count: 1, testCount: 0, size: 32, seed: 8 });
    const a = await readFile(join(first, 'trainA', '00000.png'));
    const b = await readFile(join(other, 'trainA', '00000.png'));
    expect(a.equals(b)).toBe(false);
  });

  it('uses disjoint seed strings for train and test and for the two domains', () => {
    const seeds = new Set<string>();
    for (const split of AVATAR_SPLITS) {
      for (let i = 0; i < 50; i++) seeds.add(avatarSeed(split, 0, i));
    }
    expect(seeds.size).toBe(200);
    expect(avatarSeed('trainA', 0, 3)).toMatch(/^train-/);
    expect(avatarSeed('testA', 0, 3)).toMatch(/^test-/);
  });

  it('renders different pictures for the train and test image of the same index', async () => {
    const train = await renderAvatarPng('A', avatarSeed('trainA', 0, 0), 32);
    const test = await renderAvatarPng('A', avatarSeed('testA', 0, 0), 32);
    expect(Buffer.from(train).equals(Buffer.from(test))).toBe(false);
  });

  it('rejects bad sizes and counts', async () => {
    await expect(renderAvatarDataset({ out: join(root, 'bad'), count: 1, size: 3 })).rejects.toThrow(/size/);
    await expect(renderAvatarDataset({ out: join(root, 'bad'), count: -1 })).rejects.toThrow(/count/);
  });
});
