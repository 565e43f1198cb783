import * as path from 'node:path';
import { UGATITError } from '../errors';
import { loadLayersModelFromDir } from '../io/file-handler';
import { networkFlavor } from '../networks/flavor';
import { findLatestCheckpoint } from '../training/checkpoint';
import { countParameters, describeNetwork, inferModelNetwork } from '../weights/convert';
import { packageWeightsDir } from '../weights/pretrained';
import { parseCommandArgs, pathKind } from './args';
import { useCliBackend } from './backend';

/** `--help` text of `ugatit-tf info`. */
export const INFO_HELP = `Usage: ugatit-tf info <weights>

Prints the architecture, parameter count and flavour (pytorch, tf or tf-original: which
official implementation it reproduces) of each network in <weights> (a shipped
weights name such as avatars, a weights or checkpoint folder with genA2B/ … disLB/, a
training run folder, or one model folder) and its provenance.json or state.json.
`;

const NETWORKS = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];

async function resolveFolder(arg: string): Promise<string> {
  const kind = await pathKind(arg);
  if (kind === 'file') throw new UGATITError(`info: ${arg} is a file; pass a weights folder or name (convert .pt files with ugatit-tf convert)`);
  if (kind === null) {
    if (/[\\/]/.test(arg) || arg.startsWith('.')) throw new UGATITError(`info: ${arg} does not exist`);
    const dir = path.join(await packageWeightsDir(), arg);
    if (!(await pathKind(dir))) throw new UGATITError(`info: no weights named ${JSON.stringify(arg)} (and no such folder)`);
    return dir;
  }
  if (await pathKind(path.join(arg, 'model.json'))) return arg;
  if ((await Promise.all(NETWORKS.map((n) => pathKind(path.join(arg, n, 'model.json'))))).some(Boolean)) return arg;
  const ckpt = await findLatestCheckpoint(arg);
  if (ckpt) return ckpt;
  throw new UGATITError(`info: no model.json, genA2B/ … disLB/ or training checkpoint in ${arg}`);
}

/** Runs `ugatit-tf info`. */
export async function infoCommand(argv: string[]): Promise<void> {
  const { positionals } = parseCommandArgs('info', argv, {});
  if (positionals.length !== 1) throw new UGATITError('info: give one weights folder or name (see ugatit-tf info --help)');
  const fs = await import('node:fs/promises');
  const root = await resolveFolder(positionals[0]!);
  await useCliBackend('cpu');
  const single = await pathKind(path.join(root, 'model.json'));
  const dirs = single ? [[path.basename(root), root]] : NETWORKS.map((n) => [n, path.join(root, n)]);
  console.log(root);
  let total = 0;
  for (const [name, dir] of dirs) {
    if (!(await pathKind(path.join(dir!, 'model.json')))) continue;
    const model = await loadLayersModelFromDir(dir!);
    try {
      const json = JSON.parse(await fs.readFile(path.join(dir!, 'model.json'), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ quantization?: { dtype: string } }> }> };
      const dtype = json.weightsManifest.some((g) => g.weights.some((w) => w.quantization?.dtype === 'float16')) ? 'float16' : 'float32';
      const bytes = (await fs.stat(path.join(dir!, 'weights.bin')).catch(() => ({ size: 0 }))).size;
      let arch = `${model.name}: not a U-GAT-IT network`;
      let flavor = '';
      try {
        arch = describeNetwork(inferModelNetwork(model));
        flavor = `, ${networkFlavor(model)} flavour`;
      } catch {
        /* a custom network: print what we can */
      }
      const params = countParameters(model);
      total += params;
      console.log(`  ${name!.padEnd(8)} ${arch}, ${params.toLocaleString('en-US')} parameters, ${(bytes / 1e6).toFixed(2)} MB ${dtype}${flavor}`);
    } finally {
      model.dispose();
    }
  }
  if (!single) console.log(`  total    ${total.toLocaleString('en-US')} parameters`);
  for (const file of ['provenance.json', 'state.json']) {
    const text = await fs.readFile(path.join(root, file), 'utf8').catch(() => null);
    if (text === null) continue;
    let data: Record<string, unknown>;
    try { data = JSON.parse(text) as Record<string, unknown>; } catch { throw new UGATITError(`info: ${path.join(root, file)} is not valid JSON`); }
    if (file === 'state.json') data = { iteration: data.iteration, lr: data.lr, config: (data.extra as { config?: unknown } | undefined)?.config };
    console.log(`${file}:`);
    for (const [k, val] of Object.entries(data)) console.log(`  ${k}: ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`);
    break;
  }
}
