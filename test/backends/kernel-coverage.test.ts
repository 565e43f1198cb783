import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { heatmapToImage, overlayHeatmap, UGATITTrainer, NETWORK_NAMES } from '../../src';
import { WASM_TRAINING_KERNEL_NAMES } from '../../src/backends';
import { useBackend } from '../helpers/backends';
import { tinyNetworks } from '../helpers/tiny-training';

const require = createRequire(import.meta.url);
const IMG = 32;

/**
 * Kernels tfjs-node registers for its `'tensorflow'` backend, read from its published
 * `dist/register_all_kernels.js` (the package is installed without its native binding, so it
 * cannot be imported). tfjs-node-gpu is the same sources built against CUDA TensorFlow and
 * registers the same list.
 */
function tensorflowBackendKernels(): Set<string> {
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'dist');
  const registry = readFileSync(join(dist, 'register_all_kernels.js'), 'utf8');
  const modules = new Map([...registry.matchAll(/var (\w+) = require\("(\.\/kernels\/[^"]+)"\)/g)].map((m) => [m[1]!, m[2]!]));
  const list = registry.slice(registry.indexOf('kernelConfigs = ['), registry.indexOf('];', registry.indexOf('kernelConfigs = [')));
  const names = new Set<string>();
  for (const [, moduleVar, configName] of list.matchAll(/(\w+)\.(\w+)/g)) {
    const file = modules.get(moduleVar!);
    if (!file) throw new Error(`tfjs-node register_all_kernels: ${moduleVar}.${configName} has no require`);
    const source = readFileSync(join(dist, `${file}.js`), 'utf8');
    const configAt = source.indexOf(`exports.${configName} = {`);
    const m = /kernelName:\s*(?:\w+\.(\w+)|'([^']+)')/.exec(source.slice(configAt));
    if (configAt < 0 || !m) throw new Error(`tfjs-node ${file}.js: no kernelName for ${configName}`);
    const name = m[2] ?? (tf as unknown as Record<string, unknown>)[m[1]!];
    if (typeof name !== 'string') throw new Error(`tfjs-node ${file}.js: kernel constant ${m[1]} is not exported by tfjs-core`);
    names.add(name);
  }
  return names;
}

/**
 * tfjs-core's kernel names: each is exported as a constant named after itself (`Add = 'Add'`).
 * `tf.profile` also lists custom-gradient scopes (`fusedConv2d__op`, `unnamed scope`), which
 * are not kernels: their inner kernels are recorded on their own.
 */
const CORE_KERNEL_NAMES = new Set(Object.entries(tf).filter(([k, v]) => typeof v === 'string' && k === v).map(([k]) => k));

/** Kernel names run by inference (generator, discriminator, heatmap display) and by one training step. */
async function recordKernels(): Promise<{ inference: Set<string>; training: Set<string> }> {
  const inference = new Set<string>();
  const training = new Set<string>();
  for (const light of [false, true]) {
    const nets = tinyNetworks({ size: IMG, light });
    const x = tf.randomUniform([1, IMG, IMG, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.randomUniform([1, IMG, IMG, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const inf = await tf.profile(() => {
      const [image, camLogit, heatmap] = nets.genA2B.predict(x) as tf.Tensor[];
      const shown = tf.tidy(() => overlayHeatmap(tf.div(tf.add(tf.squeeze(x, [0]), 1), 2) as tf.Tensor3D, heatmapToImage(heatmap!, IMG), 0.5));
      const dis = [...nets.disGA.predict(image!) as tf.Tensor[], ...nets.disLA.predict(image!) as tf.Tensor[]];
      tf.dispose([image!, camLogit!, heatmap!, shown, ...dis]);
    });
    inf.kernelNames.forEach((k) => inference.add(k));
    const trainer = new UGATITTrainer(nets, { iterations: 10 });
    const step = await tf.profile(async () => {
      await trainer.step(x, y);
    });
    step.kernelNames.forEach((k) => training.add(k));
    tf.dispose([x, y]);
    for (const n of NETWORK_NAMES) nets[n].dispose();
  }
  return { inference, training };
}

describe('kernel coverage: everything U-GAT-IT runs is registered on every backend', () => {
  it('cpu, wasm (with our additions), webgl, webgpu and tfjs-node (tensorflow, CUDA via tfjs-node-gpu)', async () => {
    const used = new Map<string, Set<string>>();
    // Recorded on cpu and wasm: a few ops pick kernels by backend, so take the union.
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const { inference, training } = await recordKernels();
      for (const k of inference) (used.get(k) ?? used.set(k, new Set()).get(k)!).add('inference');
      for (const k of training) (used.get(k) ?? used.set(k, new Set()).get(k)!).add('training');
    }
    await useBackend('cpu');

    const registries: Record<string, Set<string>> = {
      cpu: new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName)),
      wasm: new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName)),
      webgl: new Set(tf.getKernelsForBackend('webgl').map((k) => k.kernelName)),
      webgpu: new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName)),
      tensorflow: tensorflowBackendKernels(),
    };
    for (const [name, kernels] of Object.entries(registries)) expect(kernels.size, `${name} kernel registry`).toBeGreaterThan(100);
    const scopes = [...used.keys()].filter((k) => !CORE_KERNEL_NAMES.has(k));
    for (const scope of scopes) {
      // A scope is never registered as a kernel; if one were, it would belong in the table.
      expect(registries.cpu.has(scope), `${scope} is registered on cpu`).toBe(false);
      used.delete(scope);
    }

    const backends = Object.keys(registries);
    const kernels = [...used.keys()].sort();
    const ours = new Set(WASM_TRAINING_KERNEL_NAMES);
    const cell = (b: string, k: string) => (!registries[b]!.has(k) ? 'MISSING' : b === 'wasm' && ours.has(k) ? 'yes*' : 'yes');
    const width = Math.max(...kernels.map((k) => k.length), 'kernel'.length);
    const rows = [
      `${'kernel'.padEnd(width)}  ${'used by'.padEnd(19)}  ${backends.map((b) => b.padEnd(10)).join(' ')}`,
      ...kernels.map((k) => `${k.padEnd(width)}  ${[...used.get(k)!].sort().join('+').padEnd(19)}  `
        + backends.map((b) => cell(b, k).padEnd(10)).join(' ')),
      '(yes*: registered by this library on import)',
    ];
    console.log(`${kernels.length} kernels (custom-gradient scopes left out: ${scopes.join(', ')})\n${rows.join('\n')}`);

    const missing = backends.flatMap((b) => kernels.filter((k) => !registries[b]!.has(k)).map((k) => `${b}: ${k}`));
    expect(missing, `kernels U-GAT-IT uses that a backend does not register:\n${missing.join('\n')}`).toEqual([]);
    expect(kernels.length).toBeGreaterThan(20);
  });
});
