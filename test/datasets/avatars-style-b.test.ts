import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATAR_FRAMING, AVATAR_STYLES_B, avatarFraming, avatarSeed, renderAvatarDataset, renderAvatarPng, type AvatarStyleB } from '../../src/datasets/avatars';

describe('avatar dataset with another domain B style', () => {
  let root: string;
  beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'ugatit-avatars-b2-')); });
  afterAll(async () => { await rm(root, { recursive: true, force: true }); });

  it('renders lorelei as domain B, keeps domain A, and credits lorelei', async () => {
    const out = join(root, 'b2');
    const plain = join(root, 'plain');
    await renderAvatarDataset({ out, count: 1, testCount: 1, size: 32, styleB: 'lorelei' });
    await renderAvatarDataset({ out: plain, count: 1, testCount: 0, size: 32 });
    // Same A images as the default dataset, another B.
    expect((await readFile(join(out, 'trainA', '00000.png'))).equals(await readFile(join(plain, 'trainA', '00000.png')))).toBe(true);
    expect((await readFile(join(out, 'trainB', '00000.png'))).equals(await readFile(join(plain, 'trainB', '00000.png')))).toBe(false);
    const lorelei = await renderAvatarPng('B', avatarSeed('trainB', 0, 0), 32, 'lorelei');
    expect(Buffer.from(lorelei).equals(await readFile(join(out, 'trainB', '00000.png')))).toBe(true);

    const license = await readFile(join(out, 'LICENSE.md'), 'utf8');
    expect(license).toContain('Lorelei');
    expect(license).toContain('CC0 1.0');
    expect(license).toContain('Pablo Stanley');
    expect(license).not.toContain('Adventurer');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { domains: { B: { style: string } } };
    expect(manifest.domains.B.style).toBe('lorelei');
  });

  it('defaults to adventurer and rejects unknown styles by name', async () => {
    expect(avatarFraming('B')).toBe(AVATAR_FRAMING.B);
    expect(AVATAR_STYLES_B.adventurer).toBe(AVATAR_FRAMING.B);
    expect(avatarFraming('A', 'lorelei')).toBe(AVATAR_FRAMING.A);
    expect(() => avatarFraming('B', 'toString' as AvatarStyleB)).toThrow(/unknown domain B style 'toString'/);
    await expect(renderAvatarDataset({ out: join(root, 'bad'), count: 1, styleB: 'bottts' as AvatarStyleB })).rejects.toThrow(/bottts.*adventurer, lorelei/);
  });
});
