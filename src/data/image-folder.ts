import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError, UGATITError, UGATITFormatError } from '../errors';
import { testTransform, trainTransform, type TrainTransformOptions } from './augment';
import { decodeImage, type DecodeImageOptions } from './image-codec';
import { RNG } from './rng';

// Node built-ins are imported lazily so that the package still loads in a browser, where only
// this file's functions fail (with a clear error) when called.
type Fs = typeof import('node:fs/promises');
type Path = typeof import('node:path');
async function node(): Promise<{ fs: Fs; path: Path }> {
  try {
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    return { fs, path };
  } catch (e) {
    throw new UGATITError(`ImageFolderDataset needs Node's file system (node:fs/promises): ${(e as Error).message}`);
  }
}

/**
 * Extensions {@link listImages} picks up by default: the reference loader's list
 * (`.jpg .jpeg .png .ppm .bmp .pgm .tif`). The file's bytes, not its name, decide how it is
 * decoded; formats other than PNG and JPEG are reported as bad files, never silently skipped.
 *
 * @example
 * ```ts
 * await listImages('data/trainA', { extensions: ['.png'] });
 * ```
 */
export const REFERENCE_IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif'];

/**
 * Lists image files under `dir`, recursively, in the reference's order (`sorted(os.walk(dir))`:
 * directories by path, files by name within each, by code point). Node only.
 *
 * @param options.extensions - Lower-case extensions to keep (compared case-insensitively).
 *   Default {@link REFERENCE_IMAGE_EXTENSIONS}.
 * @throws UGATITError when `dir` cannot be read.
 * @example
 * ```ts
 * const files = await listImages('dataset/selfie2anime/trainA');
 * ```
 */
export async function listImages(dir: string, options: { extensions?: readonly string[] } = {}): Promise<string[]> {
  const { fs, path } = await node();
  const exts = (options.extensions ?? REFERENCE_IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const groups: [string, string[]][] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (e) {
      throw new UGATITError(`listImages: cannot read directory ${d}: ${(e as Error).message}`);
    }
    const files: string[] = [];
    for (const ent of entries) {
      if (ent.isDirectory()) await walk(path.join(d, ent.name));
      else if (exts.includes(path.extname(ent.name).toLowerCase())) files.push(ent.name);
    }
    groups.push([d, files.sort(byCodePoint)]);
  };
  await walk(dir);
  groups.sort((a, b) => byCodePoint(a[0], b[0]));
  return groups.flatMap(([d, files]) => files.map((f) => path.join(d, f)));
}

function byCodePoint(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * A file that could not be read or decoded, as reported by {@link ImageFolderDataset}.
 *
 * @example
 * ```ts
 * ds.badFiles.forEach((b: BadImageFile) => console.warn(b.path, b.error.message));
 * ```
 */
export interface BadImageFile {
  /** Path of the file, as listed. */
  path: string;
  /** Why it could not be decoded. */
  error: UGATITFormatError;
}

/**
 * Options of {@link ImageFolderDataset.open}.
 *
 * @example
 * ```ts
 * const opts: ImageFolderOptions = { size: 256, seed: 1, onBadFile: 'skip-and-report', onReport: (b) => console.warn(b.error.message) };
 * ```
 */
export interface ImageFolderOptions {
  /** Output side S of every sample. */
  size: number;
  /** Training mode: random flip, resize to (S+30)², random crop. Otherwise resize to S². Default true. */
  train?: boolean;
  /** Reshuffle at every epoch, like `DataLoader(shuffle=True)`. Default: `train`. */
  shuffle?: boolean;
  /** Seed of the generator that shuffles and augments. Default 0. */
  seed?: number;
  /** `'throw'` (default): a bad file throws UGATITFormatError naming its path. `'skip-and-report'`: it is reported and skipped in this and every later epoch. */
  onBadFile?: 'throw' | 'skip-and-report';
  /** Called once per bad file in `'skip-and-report'` mode (they are also in `badFiles`). */
  onReport?: (bad: BadImageFile) => void;
  /** Drop the last, smaller batch of an epoch instead of returning it. Default false (as the reference's DataLoader). */
  dropLast?: boolean;
  /** Extensions to list; default {@link REFERENCE_IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
  /** Pixel limit and alpha handling for decoding. */
  decode?: DecodeImageOptions;
  /** Training transform options (jitter, flip probability, quantisation). */
  transform?: TrainTransformOptions;
}

/**
 * Everything needed to resume an {@link ImageFolderDataset} exactly; JSON-serialisable.
 *
 * @example
 * ```ts
 * await fs.writeFile('data-state.json', JSON.stringify(ds.getState()));
 * ```
 */
export interface ImageFolderState {
  /** Format version of this state object. */
  version: 1;
  /** How many files were listed; `setState` refuses a state from a different listing. */
  fileCount: number;
  /** Epochs started so far. */
  epoch: number;
  /** Index into `order` of the next file. */
  position: number;
  /** File indices in this epoch's order; empty before the first epoch starts. */
  order: number[];
  /** State of the shuffling and augmentation generator. */
  rng: number[];
  /** Indices of files reported bad (skipped). */
  bad: number[];
}

/**
 * The reference's unpaired image folder (`<root>/{trainA,trainB,testA,testB}`, one instance per
 * folder) as an endless batch source: files listed and sorted once, reshuffled by a seeded
 * {@link RNG} at every epoch, transformed like the reference, and a new epoch begun when one
 * runs out (as the reference re-creates its iterator on StopIteration). Node only.
 *
 * @example
 * ```ts
 * const trainA = await ImageFolderDataset.open('dataset/selfie2anime/trainA', { size: 256, seed: 1 });
 * const x = await trainA.nextBatch(1); // [1, 256, 256, 3] in [-1, 1]
 * const saved = trainA.getState();     // store with the checkpoint; later: trainA.setState(saved)
 * ```
 */
export class ImageFolderDataset {
  /** Files that were reported bad so far (in `'skip-and-report'` mode). */
  readonly badFiles: BadImageFile[] = [];
  private rng: RNG;
  private epochValue = 0;
  private position = 0;
  private order: number[] = [];
  private bad = new Set<number>();
  private readonly opts: Required<Pick<ImageFolderOptions, 'size' | 'train' | 'shuffle' | 'onBadFile' | 'dropLast'>> & ImageFolderOptions;

  private constructor(
    /** The folder the images were listed from. */
    readonly root: string,
    /** Every image file found, in {@link listImages} order. */
    readonly files: readonly string[],
    options: ImageFolderOptions,
  ) {
    const train = options.train ?? true;
    this.opts = { ...options, train, shuffle: options.shuffle ?? train, onBadFile: options.onBadFile ?? 'throw', dropLast: options.dropLast ?? false };
    this.rng = new RNG(options.seed ?? 0);
  }

  /**
   * Lists the images under `root` and checks the options.
   *
   * @throws UGATITConfigError for a bad size or option; UGATITError when `root` has no image
   *   file or cannot be read.
   */
  static async open(root: string, options: ImageFolderOptions): Promise<ImageFolderDataset> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new UGATITConfigError(`ImageFolderDataset: size must be a positive integer, received ${options.size}`);
    }
    const mode = options.onBadFile ?? 'throw';
    if (mode !== 'throw' && mode !== 'skip-and-report') {
      throw new UGATITConfigError(`ImageFolderDataset: onBadFile must be 'throw' or 'skip-and-report', received ${String(mode)}`);
    }
    const files = await listImages(root, { extensions: options.extensions });
    if (files.length === 0) {
      throw new UGATITError(`ImageFolderDataset: found no image file under ${root} (extensions ${(options.extensions ?? REFERENCE_IMAGE_EXTENSIONS).join(' ')})`);
    }
    return new ImageFolderDataset(root, files, options);
  }

  /** Number of listed files (bad ones included). */
  get length(): number {
    return this.files.length;
  }

  /** Epochs begun so far (1 during the first epoch, 0 before any batch). */
  get epoch(): number {
    return this.epochValue;
  }

  private startEpoch(): void {
    this.order = Array.from({ length: this.files.length }, (_, i) => i).filter((i) => !this.bad.has(i));
    if (this.opts.shuffle) this.rng.shuffle(this.order);
    this.position = 0;
    this.epochValue++;
  }

  private async load(index: number): Promise<tf.Tensor3D | null> {
    const { fs } = await node();
    const file = this.files[index]!;
    let error: UGATITFormatError;
    try {
      const bytes = await fs.readFile(file);
      const img = decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file, this.opts.decode);
      return this.opts.train ? trainTransform(img, this.opts.size, this.rng, this.opts.transform) : testTransform(img, this.opts.size, this.opts.transform);
    } catch (e) {
      if (e instanceof UGATITFormatError) error = e;
      else if (e instanceof UGATITError) throw e;
      else error = new UGATITFormatError(file, `unreadable: ${(e as Error).message}`);
    }
    if (this.opts.onBadFile === 'throw') throw error;
    this.bad.add(index);
    const report = { path: file, error };
    this.badFiles.push(report);
    this.opts.onReport?.(report);
    return null;
  }

  /**
   * The next `batchSize` samples as one `[n, S, S, 3]` float32 tensor in [−1, 1]. `n` is
   * smaller than `batchSize` only for the last batch of an epoch (unless `dropLast`); the next
   * call starts a new, reshuffled epoch.
   *
   * @throws UGATITFormatError naming the file for a bad image (`'throw'` mode), or naming the
   *   folder when no readable image is left.
   */
  async nextBatch(batchSize: number): Promise<tf.Tensor4D> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new UGATITConfigError(`ImageFolderDataset.nextBatch: batchSize must be a positive integer, received ${batchSize}`);
    }
    const samples: tf.Tensor3D[] = [];
    try {
      for (;;) {
        if (this.epochValue === 0 || this.position >= this.order.length) {
          if (this.bad.size >= this.files.length) throw new UGATITFormatError(this.root, `no readable image left (${this.bad.size} bad files)`);
          this.startEpoch();
          if (this.opts.dropLast && this.order.length < batchSize) {
            throw new UGATITConfigError(`ImageFolderDataset: batchSize ${batchSize} exceeds the ${this.order.length} usable files with dropLast`);
          }
        }
        while (samples.length < batchSize && this.position < this.order.length) {
          const index = this.order[this.position++]!;
          if (this.bad.has(index)) continue;
          const x = await this.load(index);
          if (x) samples.push(x);
        }
        if (samples.length === batchSize || (samples.length > 0 && !this.opts.dropLast)) {
          return tf.stack(samples) as tf.Tensor4D;
        }
        // The epoch ran out: a short batch under dropLast is discarded, as DataLoader does.
        samples.forEach((t) => t.dispose());
        samples.length = 0;
      }
    } finally {
      samples.forEach((t) => t.dispose());
    }
  }

  /** A JSON-serialisable snapshot: epoch, position, this epoch's order, generator state, bad files. */
  getState(): ImageFolderState {
    return {
      version: 1,
      fileCount: this.files.length,
      epoch: this.epochValue,
      position: this.position,
      order: [...this.order],
      rng: this.rng.getState(),
      bad: [...this.bad].sort((a, b) => a - b),
    };
  }

  /**
   * Restores a snapshot from {@link getState}, so the next batches are the ones that followed it.
   *
   * @throws UGATITConfigError when the state is malformed or was taken over a different number of files.
   */
  setState(state: ImageFolderState): void {
    const n = this.files.length;
    const idxOk = (a: unknown): a is number[] => Array.isArray(a) && a.every((i) => Number.isInteger(i) && i >= 0 && i < n);
    if (!state || state.version !== 1) throw new UGATITConfigError(`ImageFolderDataset.setState: unknown state version ${String(state?.version)}`);
    if (state.fileCount !== n) {
      throw new UGATITConfigError(`ImageFolderDataset.setState: state is for ${state.fileCount} files, ${this.root} has ${n}`);
    }
    if (!idxOk(state.order) || !idxOk(state.bad) || !Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.position) || state.position < 0 || state.position > state.order.length) {
      throw new UGATITConfigError('ImageFolderDataset.setState: malformed state (epoch, position, order or bad indices)');
    }
    this.rng = RNG.fromState(state.rng);
    this.epochValue = state.epoch;
    this.position = state.position;
    this.order = [...state.order];
    this.bad = new Set(state.bad);
  }
}

/**
 * Opens the reference layout `<root>/{trainA,trainB,testA,testB}`: train folders shuffled and
 * augmented, test folders in file order with the test transform. Each gets its own generator,
 * seeded `seed`, `seed + 1`, `seed + 2`, `seed + 3` in that order.
 *
 * @example
 * ```ts
 * const { trainA, trainB, testA, testB } = await openUnpairedFolders('dataset/selfie2anime', { size: 256, seed: 0 });
 * ```
 */
export async function openUnpairedFolders(
  root: string,
  options: Omit<ImageFolderOptions, 'train' | 'shuffle'>,
): Promise<Record<'trainA' | 'trainB' | 'testA' | 'testB', ImageFolderDataset>> {
  const { path } = await node();
  const seed = options.seed ?? 0;
  const names = ['trainA', 'trainB', 'testA', 'testB'] as const;
  const sets = await Promise.all(
    names.map((name, k) => ImageFolderDataset.open(path.join(root, name), { ...options, seed: seed + k, train: name.startsWith('train') })),
  );
  return { trainA: sets[0]!, trainB: sets[1]!, testA: sets[2]!, testB: sets[3]! };
}
