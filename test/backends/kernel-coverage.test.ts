import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendUnavailable, BACKENDS, describeEachBackend, useBackend } from '../helpers/backends';
import { manifest, readFixture } from '../helpers/fixtures';
import { boundViolations, forwardFailures, forwardSummary, GOLDEN_BOUNDS, stepSummary } from '../helpers/golden-bounds';
import { FORWARD_FIXTURES, measureForward } from '../helpers/golden-forward';
import {
  expectKernelsUsed, KernelRuns, kernelTable, LIBRARY_KERNEL_PREFIX, portableDifferences, readKernelTable,
} from '../helpers/kernel-coverage';
import { recordKernels } from '../helpers/kernel-recorder';
import { compareTrainingWithReference, readTrainingFixture } from '../helpers/reference-training';

const require = createRequire(import.meta.url);

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

// One step of the full-generator fixture: every training kernel (the light fixture runs the same
// ones) at less than half the light fixture's cost on the cpu backend. Every recorded step of
// both fixtures is compared by test/training/reference-step.test.ts.
const TRAINING_FIXTURE = 'train-step-full';

const recorded = new Map<string, KernelRuns>();

describeEachBackend('kernel coverage on %s: the golden checks, with the kernels they run recorded', (backend) => {
  const runs = new KernelRuns();
  recorded.set(backend, runs);

  it.each(FORWARD_FIXTURES)('reproduces %s', async (name) => {
    await useBackend(backend);
    const fixture = readFixture(`${name}.safetensors`);
    const before = tf.memory().numTensors;
    const { result, kernels } = await recordKernels(() => measureForward(name, fixture, manifest[name]));
    runs.add('inference', kernels);
    expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
    tf.dispose(Object.values(fixture));
    console.log(`${backend} ${name}: ${forwardSummary(result)}`);
    expect(forwardFailures(name, result)).toEqual([]);
  });

  it(`reproduces step 1 of ${TRAINING_FIXTURE}`, { timeout: 600_000 }, async () => {
    await useBackend(backend);
    const fixture = readTrainingFixture(TRAINING_FIXTURE);
    const before = tf.memory().numTensors;
    const { result, kernels } = await recordKernels(() => compareTrainingWithReference(fixture, undefined, 1));
    runs.add('training', kernels);
    expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
    tf.dispose(Object.values(fixture.tensors));
    console.log(`${backend} ${TRAINING_FIXTURE} ${stepSummary(result[0]!)}`);
    expect(result.map((c) => c.step)).toEqual([1]);
    expect(boundViolations(result[0]!, GOLDEN_BOUNDS[TRAINING_FIXTURE][backend][0]!)).toEqual([]);
  });

  it(`ran every kernel U-GAT-IT uses, all on ${backend}`, () => {
    expect(runs.count('inference'), 'forward checks recorded').toBe(FORWARD_FIXTURES.length);
    expect(runs.count('training'), 'training checks recorded').toBe(1);
    expectKernelsUsed(backend, runs);
  });
});

describe('kernel coverage: the table', () => {
  it('prints which backend ran which kernel', (context) => {
    const ran = new Map([...recorded].filter(([, runs]) => runs.count('inference') > 0));
    // Under a -t filter that leaves out the golden checks above, there is nothing to tabulate.
    if (ran.size === 0 && [...recorded.values()].every((runs) => runs.count('training') === 0)) context.skip('no golden check ran (filtered out)');
    console.log(kernelTable(ran));
    expect([...ran.keys()]).toEqual(BACKENDS.filter((b) => !backendUnavailable(b)));
  });

  // A kernel one of them runs and another does not is a path of ours that one backend takes and
  // another never tests.
  it("backends that run none of the library's own kernels run the same ones (test/backends/kernels-used.txt)", () => {
    const table = readKernelTable();
    expect(table.inference.size, 'backends in the table').toBeGreaterThanOrEqual(4);
    expect(portableDifferences(table)).toEqual([]);
  });

  // Where the native backend cannot run (no built binding), its published kernel list stands in.
  it.skipIf(!backendUnavailable('tensorflow'))(
    "tensorflow (tfjs-node, tfjs-node-gpu; not executed here) registers every tfjs kernel of its column",
    () => {
      const registered = tensorflowBackendKernels();
      expect(registered.size, 'tfjs-node kernel registry').toBeGreaterThan(100);
      const table = readKernelTable();
      const used = [...(table.inference.get('tensorflow') ?? []), ...(table.training.get('tensorflow') ?? [])]
        .filter((k) => !k.startsWith(LIBRARY_KERNEL_PREFIX));
      expect(used.length).toBeGreaterThan(20);
      expect(used.filter((k) => !registered.has(k)), 'kernels tfjs-node does not register').toEqual([]);
    },
  );
});
