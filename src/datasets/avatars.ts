/**
 * A small, open, regenerable unpaired dataset of cartoon avatars for training U-GAT-IT:
 * domain A is DiceBear's `avataaars` style (flat cartoon faces by Pablo Stanley), domain B is
 * DiceBear's `adventurer` style (anime-like faces by Lisa Wischofsky). Both are rendered from
 * SVG with resvg onto the same plain background, framed so the heads have a similar size and
 * position. Domain B can be swapped for another style ({@link AVATAR_STYLES_B}, e.g. the CC0
 * line-art `lorelei`) to get a second target domain for fine-tuning demonstrations.
 *
 * Node only. The renderers are dev dependencies and are loaded on demand:
 * `npm install @dicebear/core @dicebear/collection @resvg/resvg-js`.
 *
 * @packageDocumentation
 */
import { UGATITError } from '../errors';

/** The two avatar domains: `'A'` = avataaars, `'B'` = adventurer (or the style chosen by `styleB`). */
export type AvatarDomain = 'A' | 'B';

/** The four folders of an unpaired image-to-image dataset, as in the official U-GAT-IT layout. */
export type AvatarSplit = 'trainA' | 'trainB' | 'testA' | 'testB';

/** All splits in the order {@link renderAvatarDataset} renders them. */
export const AVATAR_SPLITS: readonly AvatarSplit[] = ['trainA', 'trainB', 'testA', 'testB'];

/** Plain background colour (hex RGB, no `#`) shared by both domains. */
export const AVATAR_BACKGROUND = 'cfd8dc';

/** DiceBear styles this module renders. */
export type AvatarStyle = 'avataaars' | 'adventurer' | 'lorelei';

/** DiceBear style, framing and extra style options of one domain (see {@link AVATAR_FRAMING}). */
export interface AvatarFraming {
  /** DiceBear style name in `@dicebear/collection`. */
  style: AvatarStyle;
  /** Zoom in percent. */
  scale: number;
  /** Vertical shift in percent of the frame. */
  translateY: number;
  /** Extra DiceBear style options. */
  options: Readonly<Record<string, unknown>>;
}

/**
 * Per-domain DiceBear style, framing and option overrides. `scale` is in percent, `translateY`
 * in percent of the frame (DiceBear's own units). Chosen by eye so that in both domains the head
 * spans roughly 5 %–85 % of the frame height: avataaars is zoomed in and moved down (only the
 * top of the shoulders stays), adventurer (a head without body) is moved up a little.
 * `options` are extra DiceBear style options: avataaars is limited to its five human skin
 * tones (its yellow and orange ones have no counterpart in adventurer).
 */
export const AVATAR_FRAMING: Readonly<Record<AvatarDomain, AvatarFraming>> = {
  A: {
    style: 'avataaars',
    scale: 120,
    translateY: 11,
    options: { skinColor: ['614335', 'd08b5b', 'ae5d29', 'edb98a', 'ffdbb4'] },
  },
  B: { style: 'adventurer', scale: 100, translateY: -5, options: {} },
};

/** Styles that can stand as domain B: `adventurer` (the default) or `lorelei`. */
export type AvatarStyleB = 'adventurer' | 'lorelei';

/**
 * Framing of each style that can be domain B. `lorelei` (black-and-white line art by Lisa
 * Wischofsky, CC0 1.0) is a head without body like adventurer, so it keeps adventurer's framing;
 * its difference from adventurer (no colour fill, thin outlines) makes it a clearly new target
 * domain for fine-tuning weights trained on avataaars → adventurer.
 *
 * @example
 * ```ts
 * await renderAvatarDataset({ out: 'data/avatars-b2', count: 300, testCount: 50, styleB: 'lorelei' });
 * ```
 */
export const AVATAR_STYLES_B: Readonly<Record<AvatarStyleB, AvatarFraming>> = {
  adventurer: AVATAR_FRAMING.B,
  lorelei: { style: 'lorelei', scale: 100, translateY: -5, options: {} },
};

/** Framing of `domain` when domain B is `styleB`; throws for an unknown style. */
export function avatarFraming(domain: AvatarDomain, styleB: AvatarStyleB = 'adventurer'): AvatarFraming {
  if (domain === 'A') return AVATAR_FRAMING.A;
  if (!Object.prototype.hasOwnProperty.call(AVATAR_STYLES_B, styleB)) {
    throw new UGATITError(`unknown domain B style '${String(styleB)}' (known: ${Object.keys(AVATAR_STYLES_B).join(', ')})`);
  }
  return AVATAR_STYLES_B[styleB];
}

/** Progress report of {@link renderAvatarDataset}, sent after every written image. */
export interface AvatarProgress {
  /** Split the image was written to. */
  split: AvatarSplit;
  /** Index of the image inside its split. */
  index: number;
  /** Images written so far, over all splits. */
  done: number;
  /** Images to write in total, over all splits. */
  total: number;
  /** Path of the file just written. */
  path: string;
}

/** Options of {@link renderAvatarDataset}. */
export interface AvatarDatasetOptions {
  /** Output folder; `trainA`, `trainB`, `testA`, `testB` and `LICENSE.md` are created in it. */
  out: string;
  /** Training images per domain. */
  count: number;
  /** Side of the square images in pixels. Default 128. */
  size?: number;
  /** Dataset seed; the same seed always gives byte-identical files. Default 0. */
  seed?: number | string;
  /** Test images per domain. Default `max(1, round(count / 10))`. */
  testCount?: number;
  /** DiceBear style of domain B. Default `'adventurer'`. */
  styleB?: AvatarStyleB;
  /** Called after every written image. */
  onProgress?: (progress: AvatarProgress) => void;
}

/** What {@link renderAvatarDataset} wrote. */
export interface AvatarDatasetResult {
  /** The output folder. */
  out: string;
  /** Image side in pixels. */
  size: number;
  /** Number of images written per split. */
  counts: Record<AvatarSplit, number>;
  /** Path of the written licence and attribution file. */
  licensePath: string;
  /** Path of the written `manifest.json` (parameters needed to regenerate the set). */
  manifestPath: string;
}

/** Domain of a split: `trainA` → `'A'`. */
export function avatarSplitDomain(split: AvatarSplit): AvatarDomain {
  return split.endsWith('A') ? 'A' : 'B';
}

/**
 * DiceBear seed string of image `index` of `split` for dataset seed `seed`, e.g.
 * `train-0-A-00012` or `test-0-B-00003`. Train and test strings never coincide, and the two
 * domains use different strings so their random choices are not correlated.
 */
export function avatarSeed(split: AvatarSplit, seed: number | string, index: number): string {
  const phase = split.startsWith('train') ? 'train' : 'test';
  return `${phase}-${seed}-${avatarSplitDomain(split)}-${String(index).padStart(5, '0')}`;
}

/** File name of image `index`: `00012.png`. */
export function avatarFileName(index: number): string {
  return `${String(index).padStart(5, '0')}.png`;
}

type DicebearCore = typeof import('@dicebear/core');
type DicebearCollection = typeof import('@dicebear/collection');
type Resvg = typeof import('@resvg/resvg-js');
type PngJs = typeof import('pngjs');

interface Renderers {
  core: DicebearCore;
  collection: DicebearCollection;
  resvg: Resvg;
  png: PngJs['PNG'];
}

const INSTALL_HINT = 'npm install @dicebear/core @dicebear/collection @resvg/resvg-js';

/**
 * Imports a module by a non-literal specifier so bundlers leave it external (these are optional
 * dev dependencies with a native part, they must not be bundled into the library).
 */
async function optionalImport<T>(specifier: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as T;
  } catch (e) {
    const { code, message } = e as { code?: string; message?: string };
    const missing =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /Cannot find (module|package)/.test(message ?? '');
    if (missing && (message ?? '').includes(specifier)) {
      throw new UGATITError(
        `rendering the avatar dataset needs '${specifier}', which is not installed; run: ${INSTALL_HINT}`,
      );
    }
    throw e;
  }
}

let renderersPromise: Promise<Renderers> | undefined;

function loadRenderers(): Promise<Renderers> {
  renderersPromise ??= (async () => {
    const [core, collection, resvg, pngjs] = await Promise.all([
      optionalImport<DicebearCore>('@dicebear/core'),
      optionalImport<DicebearCollection>('@dicebear/collection'),
      optionalImport<Resvg>('@resvg/resvg-js'),
      optionalImport<PngJs & { default?: PngJs }>('pngjs'),
    ]);
    const png = pngjs.PNG ?? pngjs.default?.PNG;
    return { core, collection, resvg, png };
  })();
  renderersPromise.catch(() => {
    renderersPromise = undefined;
  });
  return renderersPromise;
}

/**
 * Framing of any style of `@dicebear/collection` (by its export name, e.g. `'bigEars'`): the same
 * fields as {@link AvatarFraming}, with the style not limited to the two domains' styles.
 */
export interface DicebearFraming extends Omit<AvatarFraming, 'style'> {
  /** Export name of the style in `@dicebear/collection`. */
  style: string;
}

function styleOf(r: Renderers, framing: DicebearFraming): DicebearCollection[AvatarStyle] {
  if (!Object.prototype.hasOwnProperty.call(r.collection, framing.style)) {
    throw new UGATITError(`unknown DiceBear style '${framing.style}' (known: ${Object.keys(r.collection).join(', ')})`);
  }
  return r.collection[framing.style as AvatarStyle];
}

function renderWith(r: Renderers, framing: DicebearFraming, seed: string, size: number): Uint8Array {
  const style = styleOf(r, framing);
  const svg = r.core
    .createAvatar(style as Parameters<DicebearCore['createAvatar']>[0], {
      ...framing.options,
      seed,
      size,
      scale: framing.scale,
      translateY: framing.translateY,
      backgroundColor: [AVATAR_BACKGROUND],
      backgroundType: ['solid'],
    })
    .toString();
  const image = new r.resvg.Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    background: `#${AVATAR_BACKGROUND}`,
    font: { loadSystemFonts: false },
    shapeRendering: 2,
  }).render();
  if (image.width !== size || image.height !== size) {
    throw new UGATITError(`resvg rendered ${image.width}x${image.height}, expected ${size}x${size}`);
  }
  const png = new r.png({ width: size, height: size });
  png.data.set(image.pixels);
  // Opaque background, so store RGB only (smaller files, no alpha channel to handle later).
  return new Uint8Array(
    r.png.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 9 }),
  );
}

/**
 * Renders one avatar of `domain` for the DiceBear seed string `seed` as PNG bytes
 * (`size`×`size`, RGB, framing and background of {@link AVATAR_FRAMING} / {@link AVATAR_BACKGROUND}).
 * `styleB` picks the style of domain B ({@link AVATAR_STYLES_B}).
 *
 * @example
 * ```ts
 * const png = await renderAvatarPng('B', avatarSeed('testB', 0, 3), 128);
 * ```
 */
export async function renderAvatarPng(
  domain: AvatarDomain,
  seed: string,
  size = 128,
  styleB: AvatarStyleB = 'adventurer',
): Promise<Uint8Array> {
  checkSize(size);
  const framing = avatarFraming(domain, styleB);
  return renderWith(await loadRenderers(), framing, seed, size);
}

/**
 * Renders one avatar of any DiceBear style with `framing`, on the datasets' background
 * ({@link AVATAR_BACKGROUND}), as `size`×`size` RGB PNG bytes: the renderer of
 * {@link renderAvatarPng} for styles beyond the two domains (the style feature network's
 * training data uses about thirty).
 *
 * @example
 * ```ts
 * const png = await renderDicebearPng({ style: 'bigEars', scale: 100, translateY: 0, options: {} }, 'seed-1', 128);
 * ```
 */
export async function renderDicebearPng(framing: DicebearFraming, seed: string, size = 128): Promise<Uint8Array> {
  checkSize(size);
  return renderWith(await loadRenderers(), framing, seed, size);
}

/** Export names of every style in the installed `@dicebear/collection`. */
export async function listDicebearStyles(): Promise<string[]> {
  return Object.keys((await loadRenderers()).collection);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new UGATITError(`size must be an integer in 8..4096, got ${size}`);
  }
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new UGATITError(`${name} must be a non-negative integer, got ${n}`);
  }
}

async function readVersion(specifier: string): Promise<string> {
  try {
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    const req = createRequire(`${process.cwd()}/`);
    let dir = req.resolve(specifier);
    const path = await import('node:path');
    // Walk up from the entry file to the package's own package.json.
    for (let i = 0; i < 6; i++) {
      dir = path.dirname(dir);
      try {
        const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === specifier && pkg.version) return pkg.version;
      } catch {
        // not here, keep walking
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

function licenseText(r: Renderers, versions: Record<string, string>, styleB: AvatarStyleB): string {
  const lines: string[] = [
    '# Licences of this dataset',
    '',
    'Every image in this folder was generated with [DiceBear](https://www.dicebear.com/)',
    `(\`@dicebear/core\` ${versions['@dicebear/core']}, \`@dicebear/collection\` ${versions['@dicebear/collection']})`,
    `and rasterised with resvg (\`@resvg/resvg-js\` ${versions['@resvg/resvg-js']}).`,
    'The images are remixes of the avatar designs below: they were drawn onto a plain',
    `background (#${AVATAR_BACKGROUND}), scaled and shifted. The designs keep their own licences:`,
    '',
  ];
  for (const domain of ['A', 'B'] as const) {
    const framing = avatarFraming(domain, styleB);
    const meta = styleOf(r, framing).meta ?? {};
    const splits = `train${domain}/, test${domain}/`;
    lines.push(
      `## Domain ${domain} (${splits}): ${meta.title ?? framing.style}`,
      '',
      `- Design: "${meta.title ?? framing.style}" by ${meta.creator ?? 'unknown'}` +
        (meta.homepage ? ` (${meta.homepage})` : ''),
      `- Source: ${meta.source ?? 'unknown'}`,
      `- Licence: ${meta.license?.name ?? 'unknown'}` +
        (meta.license?.url ? ` (${meta.license.url})` : ''),
      `- Changes: rendered by DiceBear style \`${framing.style}\` with seed strings listed in manifest.json,` +
        ` scale ${framing.scale} %, translateY ${framing.translateY} %, solid background #${AVATAR_BACKGROUND}` +
        (Object.keys(framing.options).length > 0 ? `, options ${JSON.stringify(framing.options)}.` : '.'),
      '',
    );
  }
  lines.push(
    '## Code',
    '',
    'DiceBear (the code that assembles the avatars) is MIT licensed, Copyright (c) 2024 Florian Körner',
    '(https://github.com/dicebear/dicebear/blob/main/LICENSE).',
    '',
    'When you redistribute these images or models trained on them, keep this attribution:',
    '',
  );
  for (const domain of ['A', 'B'] as const) {
    const framing = avatarFraming(domain, styleB);
    const meta = styleOf(r, framing).meta ?? {};
    lines.push(
      `> "${meta.title ?? framing.style}" by ${meta.creator ?? 'unknown'}, ${meta.license?.name ?? 'unknown licence'}` +
        (meta.license?.url ? ` (${meta.license.url})` : '') +
        ', remixed via DiceBear.',
    );
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * Renders the avatar dataset into `out`:
 * `trainA/00000.png …`, `trainB/…` (`count` images each), `testA/…`, `testB/…` (`testCount`
 * each), plus `LICENSE.md` (licences and attribution of both styles, taken from the styles'
 * own metadata) and `manifest.json` (everything needed to regenerate the same bytes).
 *
 * Deterministic: the same `seed`, `count`, `testCount`, `size` and package versions give
 * byte-identical files. Train and test images use disjoint seed strings ({@link avatarSeed}).
 * Existing files of the same names are overwritten.
 *
 * Node only; needs `@dicebear/core`, `@dicebear/collection` and `@resvg/resvg-js`
 * (throws a {@link UGATITError} with the install command when they are missing).
 *
 * @example
 * ```ts
 * await renderAvatarDataset({ out: 'data/avatars', count: 1000, testCount: 100, size: 128,
 *   onProgress: (p) => { if (p.done % 100 === 0) console.log(`${p.done}/${p.total}`); } });
 * ```
 */
export async function renderAvatarDataset(options: AvatarDatasetOptions): Promise<AvatarDatasetResult> {
  const { out, count, size = 128, seed = 0, styleB = 'adventurer', onProgress } = options;
  const testCount = options.testCount ?? Math.max(1, Math.round(count / 10));
  checkCount('count', count);
  checkCount('testCount', testCount);
  checkSize(size);
  if (typeof out !== 'string' || out.length === 0) throw new UGATITError('out must be a folder path');
  const framings = { A: avatarFraming('A'), B: avatarFraming('B', styleB) };

  const r = await loadRenderers();
  const fs = await import('node:fs/promises');
  const path = await import('node:path');

  const counts: Record<AvatarSplit, number> = {
    trainA: count,
    trainB: count,
    testA: testCount,
    testB: testCount,
  };
  const total = 2 * count + 2 * testCount;
  let done = 0;
  for (const split of AVATAR_SPLITS) {
    const dir = path.join(out, split);
    await fs.mkdir(dir, { recursive: true });
    const domain = avatarSplitDomain(split);
    for (let i = 0; i < counts[split]; i++) {
      const bytes = renderWith(r, framings[domain], avatarSeed(split, seed, i), size);
      const file = path.join(dir, avatarFileName(i));
      await fs.writeFile(file, bytes);
      done++;
      onProgress?.({ split, index: i, done, total, path: file });
    }
  }

  const versions: Record<string, string> = {};
  for (const p of ['@dicebear/core', '@dicebear/collection', '@resvg/resvg-js']) {
    versions[p] = await readVersion(p);
  }
  const licensePath = path.join(out, 'LICENSE.md');
  await fs.writeFile(licensePath, licenseText(r, versions, styleB));
  const manifestPath = path.join(out, 'manifest.json');
  const manifest = {
    generator: 'ugatit-tf renderAvatarDataset',
    seed: String(seed),
    size,
    counts,
    seedPattern: '<train|test>-<seed>-<A|B>-<5-digit index>',
    background: `#${AVATAR_BACKGROUND}`,
    domains: {
      A: { ...framings.A, meta: styleOf(r, framings.A).meta },
      B: { ...framings.B, meta: styleOf(r, framings.B).meta },
    },
    versions,
  };
  await fs.writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { out, size, counts, licensePath, manifestPath };
}
