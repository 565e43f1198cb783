/**
 * Converts an official PyTorch U-GAT-IT checkpoint (`torch.save({genA2B: …, disLB: …})`, zip
 * or legacy format; read without executing pickle code) into ugatit-tf models, runs the
 * converted A→B generator, and exports it back to a PyTorch-layout safetensors file.
 *
 *   npx tsx examples/convert-pytorch.ts <checkpoint.pt> [outDir] [imgSize]
 *
 * In your project, import from 'ugatit-tf' and 'ugatit-tf/io' instead of '../src/index' and '../src/io'.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportTorchStateDict, saveLayersModelToDir, translate } from '../src/index';
import { convertTorchCheckpoint, describeNetwork, readTorchCheckpoint, splitStateDicts, writeSafetensors } from '../src/io';

/** Options of {@link main}. */
export interface ConvertPytorchOptions {
  /** The .pt file. */
  checkpoint: string;
  /** Output folder. Default out/converted. */
  out?: string;
  /** Image side of light generators (their weights do not fix it). Default 256. */
  imgSize?: number;
}

/** Converts, saves each network to `<out>/<name>/`, translates a test pattern, exports genA2B back. */
export async function main(options: ConvertPytorchOptions): Promise<{ networks: string[]; translated: number[]; safetensors: string }> {
  const { checkpoint, out = 'out/converted', imgSize = 256 } = options;
  await tf.setBackend('cpu');
  const loaded = readTorchCheckpoint(new Uint8Array(await fs.readFile(checkpoint)));
  const dicts = splitStateDicts(loaded);
  const nets = convertTorchCheckpoint(dicts, { imgSize });
  for (const sd of Object.values(dicts)) tf.dispose(Object.values(sd)); // our copies are loaded now
  const networks: string[] = [];
  for (const n of nets) {
    await saveLayersModelToDir(n.model, path.join(out, n.name));
    networks.push(`${n.name}: ${describeNetwork(n.inferred)}, ${n.parameters} parameters`);
  }
  const genA2B = nets.find((n) => n.name === 'genA2B')!.model;
  const size = genA2B.inputs[0]!.shape[1]!;
  const pattern = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([size, size, 3], 0, 1, 'float32', 1), 255), 'int32') as tf.Tensor3D);
  const result = await translate(genA2B, pattern);
  const translated = result.image.shape;
  result.dispose();
  pattern.dispose();
  const sd = exportTorchStateDict(genA2B);
  const safetensors = path.join(out, 'genA2B.safetensors');
  await fs.writeFile(safetensors, writeSafetensors(sd));
  tf.dispose(Object.values(sd));
  for (const n of nets) n.model.dispose();
  return { networks, translated, safetensors };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, out, size] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx examples/convert-pytorch.ts <checkpoint.pt> [outDir] [imgSize]');
    process.exitCode = 1;
  } else {
    main({ checkpoint: file, out, imgSize: size ? Number(size) : undefined }).then((r) => console.log(r.networks.join('\n')));
  }
}
