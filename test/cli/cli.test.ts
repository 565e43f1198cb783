import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UGATITTrainer, decodeImage, exportWeights, saveTrainingCheckpoint, type NamedTensors } from '../../src';
import { readSafetensors, readTorchCheckpoint } from '../../src/io';
import { loadLayersModelFromDir } from '../../src';
import { backendUnavailable, useBackend } from '../helpers/backends';
import { builtPackage } from '../helpers/package-build';
import { runProcess } from '../helpers/processes';
import { disposeNetworks, tinyNetworks } from '../helpers/tiny-training';
import { expectCloseRelativeToMax } from '../helpers/fixtures';
import { tfCheckpointDir, tfForward } from '../helpers/tf-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/pytorch-reference');
/** The inputs every run of the CLI reads; each entry point gets its own copy to write next to. */
let inputs: string;

/** The command lines tested: the TypeScript source, and `dist/cli.js` as `npm run build` makes it (what the package's bin runs). */
const ENTRIES: Array<[string, () => Promise<string[]>]> = [
  ['src/cli/main.ts under tsx', async () => [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/cli/main.ts')]],
  ['built dist/cli.js', async () => [path.join((await builtPackage()).dir, 'dist/cli.js')]],
];

beforeAll(async () => {
  await useBackend('cpu');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-cli-'));
  inputs = path.join(dir, 'inputs');
  const nets = tinyNetworks({ size: 16, ndf: 2, globalLayers: 7, localLayers: 5 });
  const trainer = new UGATITTrainer(nets, { iterations: 10 });
  await saveTrainingCheckpoint(path.join(inputs, 'run'), nets, trainer.getState(), { config: { size: 16 } });
  trainer.dispose();
  disposeNetworks(nets);
  await exportWeights({ from: path.join(inputs, 'run'), out: path.join(inputs, 'weights') });
  const images = path.join(inputs, 'images');
  await fs.mkdir(path.join(images, 'sub'), { recursive: true });
  await fs.copyFile(path.join(ROOT, 'examples/samples/A/00000.png'), path.join(images, 'a.png'));
  const rgba = Buffer.alloc(20 * 12 * 4, 200);
  await fs.writeFile(path.join(images, 'sub', 'b.jpg'), jpeg.encode({ data: rgba, width: 20, height: 12 }, 90).data);
  await fs.writeFile(path.join(images, 'corrupt.png'), (await fs.readFile(path.join(images, 'a.png'))).subarray(0, 200));
});
afterAll(async () => { await fs.rm(path.dirname(inputs), { recursive: true, force: true }); });

describe.each(ENTRIES)('ugatit-tf CLI: %s', (label, entry) => {
  let dir: string;
  let argv: string[];
  beforeAll(async () => {
    argv = await entry();
    dir = path.join(path.dirname(inputs), label.replace(/\W+/g, '-'));
    await fs.cp(inputs, dir, { recursive: true });
  });

  const cli = (...args: string[]) => runProcess(process.execPath, [...argv, ...args], dir);

  it('prints help for the tool and every command', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const c of ['translate', 'train', 'convert', 'info', 'dataset']) expect(top.stdout).toContain(c);
    for (const c of ['translate', 'convert', 'info', 'dataset']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ugatit-tf ${c}`));
    }
  });

  it('translates a folder of PNG and JPEG files, reports the corrupt one with its path and exits 1', async () => {
    const r = await cli('translate', 'images', '--weights', 'weights', '--out', 'out', '--heatmap', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ugatit-tf: .*corrupt\.png: /);
    expect(r.stderr).toMatch(/1 of 3 images could not be translated/);
    expect(r.stdout).toMatch(/2 images translated into out in [\d.]+ s \([\d.]+ images\/s\), 1 failed/);
    const a = decodeImage(await fs.readFile(path.join(dir, 'out/a.png')));
    expect([a.width, a.height]).toEqual([128, 128]);
    const sheet = decodeImage(await fs.readFile(path.join(dir, 'out/a_heatmap.png')));
    expect([sheet.width, sheet.height]).toEqual([3 * 128, 128]);
    const b = decodeImage(await fs.readFile(path.join(dir, 'out/sub/b.png')));
    expect([b.width, b.height]).toEqual([20, 12]);
  });

  it('translates with the shipped avatars weights by default, found from where the command line lives', async () => {
    const r = await cli('translate', 'images/a.png', '--out', 'default');
    expect(r.code, r.stderr).toBe(0);
    // --backend auto: the native backend where this machine has it built, else wasm, saying why.
    expect(r.stderr).toMatch(backendUnavailable('tensorflow')
      ? /translating 1 image a2b with .*weights\/avatars on wasm \(auto: the native tensorflow backend is not installed\)/
      : /translating 1 image a2b with .*weights\/avatars on tensorflow \(@tensorflow\/tfjs-node, TensorFlow \d/);
    const img = decodeImage(await fs.readFile(path.join(dir, 'default/a.png')));
    expect([img.width, img.height]).toEqual([128, 128]);
  });

  it('translates one file b2a at --size from a training run folder', async () => {
    const r = await cli('translate', 'images/a.png', '--weights', 'run', '--direction', 'b2a', '--size', '24', '--out', 'one', '--backend', 'cpu');
    expect(r.code).toBe(0);
    const img = decodeImage(await fs.readFile(path.join(dir, 'one/a.png')));
    expect([img.width, img.height]).toEqual([24, 24]);
  });

  it('--threads 2 runs wasm on two threads: the same pixels as one thread, and the process exits', async () => {
    const one = await cli('translate', 'images/a.png', '--weights', 'weights', '--out', 't1', '--backend', 'wasm', '--threads', '1');
    const two = await cli('translate', 'images/a.png', '--weights', 'weights', '--out', 't2', '--backend', 'wasm', '--threads', '2');
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(one.stderr).toMatch(/on wasm$/m);
    expect(two.stderr).toMatch(/on wasm \(2 threads\)$/m);
    const [p1, p2] = await Promise.all(['t1', 't2'].map((o) => fs.readFile(path.join(dir, o, 'a.png'))));
    expect(p2!.equals(p1!)).toBe(true);
  });

  it('fails with one line for bad arguments', async () => {
    for (const [args, message] of [
      [['translate', 'images', '--bogus'], /Unknown option '--bogus'/],
      [['translate', 'nowhere.png'], /nowhere\.png does not exist/],
      [['translate', 'images', '--direction', 'sideways'], /--direction must be one of a2b, b2a/],
      [['translate', 'images', '--weights', 'weights', '--threads', '9'], /--threads must be an integer from 1 to 8, received 9/],
      [['convert', 'images/a.png'], /--out <dir> is required/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.split('\n')[0]).toMatch(message);
    }
  });

  it('converts the reference six-network checkpoints (zip and legacy) and back to the same PyTorch tensors', async () => {
    const zip = await cli('convert', path.join(FIXTURES, 'train-step-init.zip.pt'), '--out', 'conv', '--img-size', '128');
    expect(zip.code).toBe(0);
    expect(zip.stdout).toMatch(/6 networks/);
    expect(zip.stdout).toMatch(/genA2B +generator \(light, ngf 4, 2 blocks, 128 px, 3→3 channels\)/);
    expect(zip.stdout).toMatch(/disLB +discriminator \(5 layers, ndf 4, 3 channels\)/);
    const legacy = await cli('convert', path.join(FIXTURES, 'train-step-init.legacy.pt'), '--out', 'conv-legacy', '--light');
    expect(legacy.code).toBe(0);
    const full = await cli('convert', path.join(FIXTURES, 'train-step-init.zip.pt'), '--out', 'x', '--full');
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/weights are of a light generator/);

    const back = await cli('convert', 'conv', '--to', 'safetensors', '--out', 'st');
    expect(back.code).toBe(0);
    const original = readTorchCheckpoint(new Uint8Array(await fs.readFile(path.join(FIXTURES, 'train-step-init.zip.pt')))) as Record<string, NamedTensors>;
    for (const net of ['genA2B', 'disGA', 'disLB']) {
      const exported = readSafetensors(new Uint8Array(await fs.readFile(path.join(dir, 'st', `${net}.safetensors`))));
      expect(Object.keys(exported).sort()).toEqual(Object.keys(original[net]!).filter((k) => !k.endsWith('num_batches_tracked')).sort());
      for (const [k, t] of Object.entries(exported)) {
        expect(t.shape, k).toEqual(original[net]![k]!.shape);
        expect(Array.from(t.dataSync()), k).toEqual(Array.from(original[net]![k]!.dataSync()));
      }
      tf.dispose(Object.values(exported));
    }
    tf.dispose(Object.values(original).flatMap((sd) => Object.values(sd)));

    const info = await cli('info', 'conv');
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/disGA +discriminator \(7 layers, ndf 4, 3 channels\), 210,236 parameters/);
    expect(info.stdout).toMatch(/convertedFrom: train-step-init\.zip\.pt/);
  });

  it('converts the official TensorFlow checkpoints, translates with them, and info names the flavour', async () => {
    const light = await cli('convert', tfCheckpointDir('light-64'), '--out', 'tfconv', '--img-size', '64');
    expect(light.code, light.stderr).toBe(0);
    expect(light.stdout).toMatch(/TensorFlow checkpoint \(step 1000000\), light, ch 6, n_res 4, n_dis 4, 64 px \(not fixed by the weights\), smoothing/);
    expect(light.stdout).toMatch(/flavour tf: no CAM_logit\/dense variables/);
    expect(light.stdout).toMatch(/reading 252 variables \(1\.0 MB\); skipping 4 Adam β power \(optimizer state\), 464 Adam moment \(optimizer state\)/);
    expect(light.stdout).toMatch(/disLB +\d[\d,]* parameters -> tfconv\/disLB/);
    // The converted generator gives the official output.
    const golden = tfForward('light-64');
    const genA2B = await loadLayersModelFromDir(path.join(dir, 'tfconv', 'genA2B'));
    tf.tidy(() => expectCloseRelativeToMax((genA2B.predict(golden['input.A']!) as tf.Tensor[])[0]!, golden['generator_B.image']!, 1e-4, 'generator_B.image'));
    genA2B.dispose();
    tf.dispose(Object.values(golden));
    const provenance = JSON.parse(await fs.readFile(path.join(dir, 'tfconv', 'provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({ convertedFrom: 'UGATIT_light.model-1000000', flavor: 'tf', dtype: 'float32', config: { light: true, ch: 6, n_dis: 4, img_size: 64, dataset: 'selfie2anime' } });

    const half = await cli('convert', tfCheckpointDir('full-48'), '--out', 'tfhalf', '--float16', '--generators-only');
    expect(half.code, half.stderr).toBe(0);
    expect(half.stdout).toMatch(/full, ch 4, n_res 4, n_dis 5, 48 px, smoothing/);
    expect((await fs.readdir(path.join(dir, 'tfhalf'))).sort()).toEqual(['genA2B', 'genB2A', 'provenance.json']);

    const r = await cli('translate', 'images/a.png', '--weights', 'tfhalf', '--out', 'tfout', '--backend', 'cpu', '--heatmap');
    expect(r.code, r.stderr).toBe(0);
    const img = decodeImage(await fs.readFile(path.join(dir, 'tfout/a.png')));
    expect([img.width, img.height]).toEqual([128, 128]);

    const info = await cli('info', 'tfhalf');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/genA2B +generator \(full, ngf 4, 4 blocks, 48 px, 3→3 channels\), [\d,]+ parameters, [\d.]+ MB float16, tf flavour/);
    expect(info.stdout).toMatch(/flavor: tf$/m);
    expect((await cli('info', 'weights')).stdout).toMatch(/genA2B .* MB float32, pytorch flavour/);

    for (const [args, message] of [
      [['convert', tfCheckpointDir('light-64'), '--out', 'x', '--light'], /--light, --full and --name are for PyTorch checkpoints/],
      [['convert', tfCheckpointDir('light-64'), '--out', 'x', '--flavor', 'tf-original'], /flavor 'tf-original' was given, but the checkpoint has no CAM_logit\/dense/],
      [['convert', tfCheckpointDir('full-48'), '--out', 'x', '--img-size', '64'], /fix the image size at 48, received imgSize 64/],
      [['convert', 'tfhalf', '--to', 'safetensors', '--out', 'x'], /TensorFlow-flavour network \(flavor 'tf'\)/],
    ] as const) {
      const e = await cli(...args);
      expect(e.code).toBe(1);
      expect(e.stderr.split('\n')[0]).toMatch(message);
    }
  });

  it('renders a tiny avatar dataset', async () => {
    const r = await cli('dataset', 'avatars', '--out', 'avatars', '--count', '1', '--test-count', '1', '--size', '32');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 1\+1 training and 1\+1 test images \(32 px\)/);
    const img = decodeImage(await fs.readFile(path.join(dir, 'avatars/trainB/00000.png')));
    expect(img.width).toBe(32);
  });
});
