import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/file-handler';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { readTorchCheckpoint } from '../io/torch-checkpoint';
import { exportTorchStateDict } from '../io/torch-state-dict';
import { findLatestCheckpoint } from '../training/checkpoint';
import { resolveTFCheckpointPrefix } from '../io/tf-checkpoint';
import { convertTorchCheckpoint, countParameters, describeNetwork, splitStateDicts } from '../weights/convert';
import { describeTFConfig, openTFCheckpointNetworks } from '../weights/tf-checkpoint';
import { choiceOption, intOption, parseCommandArgs, pathKind } from './args';
import { useCliBackend } from './backend';

/** `--help` text of `ugatit-tf convert`. */
export const CONVERT_HELP = `Usage: ugatit-tf convert <input> --out <dir> [options]

--to tfjs (default): reads an official PyTorch U-GAT-IT checkpoint (.pt, zip or legacy
format, read without executing any code) or a .safetensors file, holding the six networks
({genA2B, genB2A, disGA, disGB, disLA, disLB}) or a single state_dict. Each network's
architecture is read off its weight shapes, loaded strictly, and saved to <out>/<network>/
(model.json + weights.bin). A light generator's weights do not fix its image size: pass
--img-size (default 256, the reference's).

It also reads an official TensorFlow U-GAT-IT checkpoint (taki0112/UGATIT, e.g. the released
selfie2anime model): <input> is its folder (checkpoint/<model_dir>, holding the "checkpoint"
file), a checkpoint prefix or its .index file. Only the variables the networks need are read
from the data file, by offset (no Python; the .meta file is ignored). The networks are built
in the TensorFlow flavour (conv biases, affine instance norms, ρ smoothing, …); the code
version is read off the checkpoint, or given with --flavor when the checkpoint cannot tell.

--to safetensors: the reverse. <input> is a folder of ours (a weights or checkpoint folder
with genA2B/ … disLB/, a training run, or one model folder); each network is written as
<out>/<network>.safetensors in the PyTorch layout, for load_state_dict().

Options:
  --out <dir>           output folder (required)
  --to tfjs|safetensors conversion direction (default tfjs)
  --light / --full      assert the generator kind (checked against the weights)
  --img-size <n>        image side of light generators (default 256)
  --name <name>         name of a single state_dict's network (default: generator or discriminator)
  --float16             store the weights as float16 (half the size)
  --generators-only     convert genA2B and genB2A only (translation needs nothing else)
  --flavor tf|tf-original  TensorFlow code version, when the checkpoint cannot tell
  --smoothing true|false   TensorFlow --smoothing, when the folder name does not say (default true)
`;

const NETWORKS = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];

async function toTfjs(input: string, out: string, imgSize: number | undefined, light: boolean | undefined, name: string | undefined, float16: boolean, generatorsOnly: boolean): Promise<void> {
  const fs = await import('node:fs/promises');
  const bytes = new Uint8Array(await fs.readFile(input));
  const isSafetensors = input.toLowerCase().endsWith('.safetensors');
  let loaded: unknown;
  try {
    loaded = isSafetensors ? readSafetensors(bytes) : readTorchCheckpoint(bytes);
  } catch (e) {
    throw new UGATITError(`convert: ${input}: ${(e as Error).message}`);
  }
  const tensors: tf.Tensor[] = [];
  const collect = (x: unknown): void => {
    if (x instanceof tf.Tensor) tensors.push(x);
    else if (x && typeof x === 'object') Object.values(x).forEach(collect);
  };
  collect(loaded);
  try {
    const dicts = splitStateDicts(loaded, name ?? 'network');
    if (!name && dicts.network) {
      dicts[('DownBlock.1.weight' in dicts.network) ? 'generator' : 'discriminator'] = dicts.network;
      delete dicts.network;
    }
    if (generatorsOnly) for (const k of Object.keys(dicts)) if (!k.startsWith('gen')) delete dicts[k];
    const ignored = loaded && typeof loaded === 'object' && !(Object.values(loaded).every((v) => v instanceof tf.Tensor))
      ? Object.keys(loaded).filter((k) => !(k in dicts)) : [];
    const nets = convertTorchCheckpoint(dicts, { imgSize, light });
    console.log(`${input}: ${nets.length} network${nets.length === 1 ? '' : 's'}${ignored.length ? ` (ignored entries: ${ignored.join(', ')})` : ''}`);
    for (const n of nets) {
      await saveLayersModelToDir(n.model, path.join(out, n.name), { float16 });
      const sizeNote = n.inferred.kind === 'generator' && !n.inferred.imgSizeInferred ? ' (size from --img-size)' : '';
      console.log(`  ${n.name.padEnd(14)} ${describeNetwork(n.inferred)}${sizeNote}, ${n.parameters.toLocaleString('en-US')} parameters, ${n.report.loaded.length} tensors -> ${path.join(out, n.name)}`);
      n.model.dispose();
    }
    const provenance = {
      convertedFrom: path.basename(input), date: new Date().toISOString(), command: `ugatit-tf convert ${process.argv.slice(3).join(' ')}`,
      networks: Object.fromEntries(nets.map((n) => [n.name, n.inferred])), dtype: float16 ? 'float16' : 'float32',
    };
    await fs.writeFile(path.join(out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  } finally {
    tf.dispose(tensors);
  }
}

/** Whether `input` names a TensorFlow checkpoint: a folder with a `checkpoint` or `.index` file, a prefix, or an `.index` file. */
async function isTfCheckpoint(input: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  if (input.endsWith('.index') || (await pathKind(`${input}.index`)) === 'file') return true;
  if ((await pathKind(input)) !== 'dir') return false;
  if ((await pathKind(path.join(input, 'checkpoint'))) === 'file') return true;
  return (await fs.readdir(input)).some((f) => f.endsWith('.index'));
}

interface TfConvertOptions {
  imgSize?: number;
  float16: boolean;
  generatorsOnly: boolean;
  flavor?: 'tf' | 'tf-original';
  smoothing?: boolean;
}

async function fromTfCheckpoint(input: string, out: string, o: TfConvertOptions): Promise<void> {
  const fs = await import('node:fs/promises');
  const { default: progress } = await import('cli-progress');
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  const bar = process.stderr.isTTY
    ? new progress.SingleBar({ stream: process.stderr, format: '{bar} {percentage}% {value}/{total} MB {network}', hideCursor: true }, progress.Presets.shades_classic)
    : null;
  const opened = await openTFCheckpointNetworks(input, {
    discriminators: !o.generatorsOnly, imgSize: o.imgSize, flavor: o.flavor, smoothing: o.smoothing,
    onProgress: (p) => bar?.update(mb(p.bytesRead), { network: p.network }),
  });
  try {
    const c = opened.config;
    const skipped = new Map<string, number>();
    for (const s of opened.plan.skipped) skipped.set(s.reason, (skipped.get(s.reason) ?? 0) + 1);
    console.log(`${input}: TensorFlow checkpoint${c.step !== null ? ` (step ${c.step})` : ''}, ${describeTFConfig(c)}`);
    console.log(`  flavour ${c.flavor}: ${c.flavorReason}`);
    console.log(`  reading ${opened.plan.rows.length} variables (${(opened.bytesTotal / 1e6).toFixed(1)} MB); skipping ${[...skipped].map(([r, n]) => `${n} ${r}`).join(', ')}`);
    bar?.start(mb(opened.bytesTotal), 0, { network: '' });
    const started = performance.now();
    const written: string[] = [];
    for (const name of opened.networks) {
      const model = await opened.load(name);
      try {
        const dir = path.join(out, name);
        await saveLayersModelToDir(model, dir, { float16: o.float16 });
        written.push(`  ${name.padEnd(8)} ${countParameters(model).toLocaleString('en-US')} parameters -> ${dir}`);
        if (!bar) console.log(written[written.length - 1]);
      } finally {
        model.dispose();
      }
    }
    bar?.stop();
    if (bar) for (const line of written) console.log(line);
    console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const provenance = {
      convertedFrom: path.basename(await resolveTFCheckpointPrefix(input)), source: 'official TensorFlow U-GAT-IT checkpoint (taki0112/UGATIT)',
      flavor: c.flavor, flavorReason: c.flavorReason, date: new Date().toISOString(), command: `ugatit-tf convert ${process.argv.slice(3).join(' ')}`,
      dtype: o.float16 ? 'float16' : 'float32',
      config: { light: c.light, ch: c.ch, n_res: c.nRes, n_dis: c.nDis, img_size: c.imgSize, smoothing: c.smoothing, step: c.step, dataset: c.modelDir?.dataset ?? null },
    };
    await fs.writeFile(path.join(out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  } finally {
    bar?.stop();
    await opened.close();
  }
}

async function toSafetensors(input: string, out: string): Promise<void> {
  const fs = await import('node:fs/promises');
  if ((await pathKind(input)) !== 'dir') throw new UGATITError(`convert: --to safetensors needs a model folder, received ${input}`);
  let root = input;
  if (!(await pathKind(path.join(root, 'model.json'))) && !(await pathKind(path.join(root, 'genA2B')))) {
    root = (await findLatestCheckpoint(input)) ?? root;
  }
  const dirs = (await pathKind(path.join(root, 'model.json')))
    ? [[path.basename(root), root]]
    : (await Promise.all(NETWORKS.map(async (n) => ((await pathKind(path.join(root, n, 'model.json'))) ? [n, path.join(root, n)] : null)))).filter((x): x is string[] => x !== null);
  if (dirs.length === 0) throw new UGATITError(`convert: no model.json, genA2B/ … disLB/ or training checkpoint in ${input}`);
  await fs.mkdir(out, { recursive: true });
  for (const [name, dir] of dirs) {
    const model = await loadLayersModelFromDir(dir!);
    const sd = exportTorchStateDict(model);
    const file = path.join(out, `${name}.safetensors`);
    await fs.writeFile(file, writeSafetensors(sd));
    console.log(`  ${name!.padEnd(14)} ${Object.keys(sd).length} tensors -> ${file}`);
    tf.dispose(Object.values(sd));
    model.dispose();
  }
}

/** Runs `ugatit-tf convert`. */
export async function convertCommand(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseCommandArgs('convert', argv, {
    out: { type: 'string' }, to: { type: 'string', default: 'tfjs' }, light: { type: 'boolean' }, full: { type: 'boolean' },
    'img-size': { type: 'string' }, name: { type: 'string' }, float16: { type: 'boolean' }, 'generators-only': { type: 'boolean' },
    flavor: { type: 'string' }, smoothing: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UGATITError('convert: give one checkpoint file or model folder (see ugatit-tf convert --help)');
  if (!v.out) throw new UGATITError('convert: --out <dir> is required');
  if (v.light && v.full) throw new UGATITError('convert: --light and --full exclude each other');
  const input = positionals[0]!;
  if (!(await pathKind(input))) throw new UGATITError(`convert: ${input} does not exist`);
  const to = choiceOption('convert', 'to', v.to as string, ['tfjs', 'safetensors'] as const)!;
  const imgSize = intOption('convert', 'img-size', v['img-size'] as string | undefined, 8);
  const flavor = choiceOption('convert', 'flavor', v.flavor as string | undefined, ['tf', 'tf-original'] as const);
  const smoothing = choiceOption('convert', 'smoothing', v.smoothing as string | undefined, ['true', 'false'] as const);
  await useCliBackend('cpu');
  const float16 = v.float16 === true;
  const generatorsOnly = v['generators-only'] === true;
  if (to === 'tfjs' && (await isTfCheckpoint(input))) {
    if (v.light || v.full || v.name) throw new UGATITError('convert: --light, --full and --name are for PyTorch checkpoints; a TensorFlow checkpoint says what it holds');
    await fromTfCheckpoint(input, v.out as string, { imgSize, float16, generatorsOnly, flavor, smoothing: smoothing === undefined ? undefined : smoothing === 'true' });
    return;
  }
  if (flavor || smoothing) throw new UGATITError('convert: --flavor and --smoothing are for TensorFlow checkpoints');
  if (to === 'tfjs') await toTfjs(input, v.out as string, imgSize, v.light ? true : v.full ? false : undefined, v.name as string | undefined, float16, generatorsOnly);
  else {
    if (float16 || generatorsOnly) throw new UGATITError('convert: --float16 and --generators-only are for --to tfjs');
    await toSafetensors(input, v.out as string);
  }
}
