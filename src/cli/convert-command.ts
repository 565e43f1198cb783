import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { UgatitError } from '../errors';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/file-handler';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { readTorchCheckpoint } from '../io/torch-checkpoint';
import { exportTorchStateDict } from '../io/torch-state-dict';
import { findLatestCheckpoint } from '../training/checkpoint';
import { convertTorchCheckpoint, describeNetwork, splitStateDicts } from '../weights/convert';
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

--to safetensors: the reverse. <input> is a folder of ours (a weights or checkpoint folder
with genA2B/ … disLB/, a training run, or one model folder); each network is written as
<out>/<network>.safetensors in the PyTorch layout, for load_state_dict().

Options:
  --out <dir>           output folder (required)
  --to tfjs|safetensors conversion direction (default tfjs)
  --light / --full      assert the generator kind (checked against the weights)
  --img-size <n>        image side of light generators (default 256)
  --name <name>         name of a single state_dict's network (default: generator or discriminator)
`;

const NETWORKS = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];

async function toTfjs(input: string, out: string, imgSize: number | undefined, light: boolean | undefined, name: string | undefined): Promise<void> {
  const fs = await import('node:fs/promises');
  const bytes = new Uint8Array(await fs.readFile(input));
  const isSafetensors = input.toLowerCase().endsWith('.safetensors');
  let loaded: unknown;
  try {
    loaded = isSafetensors ? readSafetensors(bytes) : readTorchCheckpoint(bytes);
  } catch (e) {
    throw new UgatitError(`convert: ${input}: ${(e as Error).message}`);
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
    const ignored = loaded && typeof loaded === 'object' && !(Object.values(loaded).every((v) => v instanceof tf.Tensor))
      ? Object.keys(loaded).filter((k) => !(k in dicts)) : [];
    const nets = convertTorchCheckpoint(dicts, { imgSize, light });
    console.log(`${input}: ${nets.length} network${nets.length === 1 ? '' : 's'}${ignored.length ? ` (ignored entries: ${ignored.join(', ')})` : ''}`);
    for (const n of nets) {
      await saveLayersModelToDir(n.model, path.join(out, n.name));
      const sizeNote = n.inferred.kind === 'generator' && !n.inferred.imgSizeInferred ? ' (size from --img-size)' : '';
      console.log(`  ${n.name.padEnd(14)} ${describeNetwork(n.inferred)}${sizeNote}, ${n.parameters.toLocaleString('en-US')} parameters, ${n.report.loaded.length} tensors -> ${path.join(out, n.name)}`);
      n.model.dispose();
    }
    const provenance = {
      convertedFrom: path.basename(input), date: new Date().toISOString(), command: `ugatit-tf convert ${process.argv.slice(3).join(' ')}`,
      networks: Object.fromEntries(nets.map((n) => [n.name, n.inferred])),
    };
    await fs.writeFile(path.join(out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  } finally {
    tf.dispose(tensors);
  }
}

async function toSafetensors(input: string, out: string): Promise<void> {
  const fs = await import('node:fs/promises');
  if ((await pathKind(input)) !== 'dir') throw new UgatitError(`convert: --to safetensors needs a model folder, received ${input}`);
  let root = input;
  if (!(await pathKind(path.join(root, 'model.json'))) && !(await pathKind(path.join(root, 'genA2B')))) {
    root = (await findLatestCheckpoint(input)) ?? root;
  }
  const dirs = (await pathKind(path.join(root, 'model.json')))
    ? [[path.basename(root), root]]
    : (await Promise.all(NETWORKS.map(async (n) => ((await pathKind(path.join(root, n, 'model.json'))) ? [n, path.join(root, n)] : null)))).filter((x): x is string[] => x !== null);
  if (dirs.length === 0) throw new UgatitError(`convert: no model.json, genA2B/ … disLB/ or training checkpoint in ${input}`);
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
    'img-size': { type: 'string' }, name: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UgatitError('convert: give one checkpoint file or model folder (see ugatit-tf convert --help)');
  if (!v.out) throw new UgatitError('convert: --out <dir> is required');
  if (v.light && v.full) throw new UgatitError('convert: --light and --full exclude each other');
  const input = positionals[0]!;
  if (!(await pathKind(input))) throw new UgatitError(`convert: ${input} does not exist`);
  const to = choiceOption('convert', 'to', v.to as string, ['tfjs', 'safetensors'] as const)!;
  const imgSize = intOption('convert', 'img-size', v['img-size'] as string | undefined, 8);
  await useCliBackend('cpu');
  if (to === 'tfjs') await toTfjs(input, v.out as string, imgSize, v.light ? true : v.full ? false : undefined, v.name as string | undefined);
  else await toSafetensors(input, v.out as string);
}
