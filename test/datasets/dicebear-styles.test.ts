import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { AVATAR_FRAMING, listDicebearStyles, renderAvatarPng, renderDicebearPng } from '../../src/datasets/avatars';

describe('renderDicebearPng', () => {
  it('lists the collection\'s styles, the two domains\' among them', async () => {
    const styles = await listDicebearStyles();
    expect(styles.length).toBeGreaterThanOrEqual(30);
    expect(styles).toEqual(expect.arrayContaining(['avataaars', 'adventurer', 'bigEars', 'pixelArt']));
  });

  it('renders other styles at the requested size, and a domain style exactly as the dataset renderer does', async () => {
    const png = PNG.sync.read(Buffer.from(await renderDicebearPng({ style: 'bigEars', scale: 100, translateY: 0, options: {} }, 's-1', 48)));
    expect([png.width, png.height]).toEqual([48, 48]);
    const other = PNG.sync.read(Buffer.from(await renderDicebearPng({ style: 'pixelArt', scale: 100, translateY: 0, options: {} }, 's-1', 48)));
    expect(Buffer.compare(png.data, other.data)).not.toBe(0);
    const same = await renderDicebearPng(AVATAR_FRAMING.A, 'seed-7', 32);
    expect(Buffer.compare(Buffer.from(same), Buffer.from(await renderAvatarPng('A', 'seed-7', 32)))).toBe(0);
  });

  it('names an unknown style', async () => {
    await expect(renderDicebearPng({ style: 'noSuchStyle', scale: 100, translateY: 0, options: {} }, 's', 32))
      .rejects.toThrow(/unknown DiceBear style 'noSuchStyle' \(known: .*adventurer/);
  });
});
