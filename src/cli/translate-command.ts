import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { decodeImage, encodePNG } from '../data/image-codec';
import { listImages } from '../data/image-folder';
import { tensorToImage } from '../data/tensor-image';
import { translate } from '../translate/translate';
import { choiceOption, intOption, parseCommandArgs, pathKind } from './args';
import { useCliBackend } from './backend';
import { resolveGenerator } from './weights';

/** `--help` text of `ugatit-tf translate`. */
export const TRANSLATE_HELP = `Usage: ugatit-tf translate <file|folder> [options]

Translates PNG/JPEG images with a U-GAT-IT generator and writes PNGs to --out:
<name>.png (the translation, at the input's size) and, with --heatmap,
<name>_heatmap.png ([input | attention heatmap over the output | output]).
A folder is read recursively; unreadable images are reported and skipped, and the
exit status is then 1.

Options:
  --weights <dir|name>   shipped weights name (default avatars), a weights folder with
                         genA2B/ and genB2A/, a training run or ckpt-* folder, or a
                         single model folder
  --direction a2b|b2a    which generator to run (default a2b)
  --out <dir>            output folder (default out)
  --heatmap              also write the side-by-side heatmap sheet
  --size <n>             output side in pixels (default: each input's own size)
  --backend <name>       auto (default: tensorflow when @tensorflow/tfjs-node(-gpu) is
                         installed, else wasm), tensorflow, wasm or cpu
  --threads <n>          wasm threads, 1 to 8 (default 1; 2 translate a 256² image with the
                         ngf-64 generator 1.9× faster on an idle 2-core machine, but
                         slow down small images such as the 96-pixel avatars)
`;

function stem(file: string, root: string | null): string {
  const rel = root ? path.relative(root, file) : path.basename(file);
  return rel.slice(0, rel.length - path.extname(rel).length);
}

/** Runs `ugatit-tf translate`. */
export async function translateCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseCommandArgs('translate', argv, {
    weights: { type: 'string' }, direction: { type: 'string', default: 'a2b' }, out: { type: 'string', default: 'out' },
    heatmap: { type: 'boolean', default: false }, size: { type: 'string' }, backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UGATITError('translate: give one image file or folder (see ugatit-tf translate --help)');
  const input = positionals[0]!;
  const direction = choiceOption('translate', 'direction', v.direction as string, ['a2b', 'b2a'] as const)!;
  const size = intOption('translate', 'size', v.size as string | undefined, 1);
  const kind = await pathKind(input);
  if (kind === null) throw new UGATITError(`translate: ${input} does not exist`);
  const files = kind === 'dir' ? await listImages(input) : [input];
  if (files.length === 0) throw new UGATITError(`translate: no images (.png, .jpg, …) in ${input}`);
  const backend = await useCliBackend(v.backend as string, intOption('translate', 'threads', v.threads as string | undefined, 1) ?? 1);
  const { generator, source } = await resolveGenerator(v.weights as string | undefined, direction);
  const out = v.out as string;
  const fs = await import('node:fs/promises');
  await fs.mkdir(out, { recursive: true });
  process.stderr.write(`translating ${files.length} image${files.length === 1 ? '' : 's'} ${direction} with ${source} on ${backend}\n`);

  const { default: progress } = await import('cli-progress');
  const bar = kind === 'dir' && process.stderr.isTTY
    ? new progress.SingleBar({ stream: process.stderr, format: '{bar} {value}/{total} {file}', hideCursor: true }, progress.Presets.shades_classic)
    : null;
  bar?.start(files.length, 0, { file: '' });
  const failed: string[] = [];
  const start = performance.now();
  for (const file of files) {
    try {
      const img = decodeImage(new Uint8Array(await fs.readFile(file)), file);
      const name = stem(file, kind === 'dir' ? input : null);
      const target = path.join(out, `${name}.png`);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const pixels = tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
      const result = await translate(generator, pixels, { outputSize: size ?? 'input' }).finally(() => pixels.dispose());
      try {
        await fs.writeFile(target, encodePNG(tensorToImage(result.image)));
        if (v.heatmap) {
          const [h, w] = result.image.shape.slice(1, 3) as [number, number];
          const sheet = tf.tidy(() => {
            const original = tf.div(tf.tensor3d(Float32Array.from(img.data), [img.height, img.width, 3]), 255) as tf.Tensor3D;
            const shownInput = tf.image.resizeBilinear(original, [h, w], false, true);
            const output = tf.div(tf.add(tf.squeeze(result.image, [0]), 1), 2);
            return tf.concat([shownInput, tf.squeeze(result.overlay, [0]), output], 1) as tf.Tensor3D;
          });
          await fs.writeFile(path.join(out, `${name}_heatmap.png`), encodePNG(tensorToImage(sheet, [0, 1])));
          sheet.dispose();
        }
      } finally {
        result.dispose();
      }
    } catch (e) {
      failed.push(file);
      const message = (e as Error).message;
      const line = message.includes(file) ? message : `${file}: ${message}`;
      // On a TTY, clear the bar's line first; it redraws on the next increment.
      process.stderr.write(`${bar ? '\r\x1b[K' : ''}ugatit-tf: ${line}\n`);
    }
    bar?.increment(1, { file: path.basename(file) });
  }
  bar?.stop();
  generator.dispose();
  const seconds = (performance.now() - start) / 1000;
  const done = files.length - failed.length;
  console.log(`${done} image${done === 1 ? '' : 's'} translated into ${out} in ${seconds.toFixed(2)} s (${(done / Math.max(seconds, 1e-9)).toFixed(2)} images/s)` +
    (failed.length ? `, ${failed.length} failed` : ''));
  if (failed.length) throw new UGATITError(`translate: ${failed.length} of ${files.length} images could not be translated (listed above)`);
}
