// Seeded mutation fuzzing of every reader in src/io, shared by test/io/fuzz.test.ts (CI-sized)
// and scripts/fuzz-long.ts (long runs). A case passes when the reader either returns (its
// tensors are then disposed) or throws a UGATITFormatError, within the time bound.
import * as tf from '@tensorflow/tfjs-core';
import { UGATITFormatError } from '../../src/errors';
import { modelArtifactsFromFiles } from '../../src/io/file-handler';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { readTorchCheckpoint } from '../../src/io/torch-checkpoint';
import { mulberry32 } from '../helpers/random';
import { readTFBundle } from '../../src/io/tf-bundle';
import { parseTFCheckpointState } from '../../src/io/tf-checkpoint';
import { assembleTable, buildTfBundle, dataBlocks, encodeBlock, indexBlockFor } from '../helpers/tf-checkpoint-writer';
import { buildLegacyCheckpoint, buildZipCheckpoint, smallCheckpointSpec, smallLegacyCheckpoint, smallZipCheckpoint, stateDictPickle, storageBytes } from './builders';

/** A deterministic generator of uint32 ({@link mulberry32}). */
export type RNG = () => number;

const below = (rng: RNG, n: number): number => (n <= 0 ? 0 : rng() % n);

const INTERESTING = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
// Pickle opcode bytes, so that insertions exercise the VM rather than its unknown-opcode path.
const OPCODES = [...'(.012FIJKLMNPQRTUXabcd}eghjl]pqrst)uGBC'].map((c) => c.charCodeAt(0))
  .concat([0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x93, 0x94, 0x95, 0x96, 0x81, 0x69]);

function writeLE(out: Uint8Array, at: number, value: bigint, width: number): void {
  for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/**
 * 1–4 random mutations of `input`: bit flips, byte sets, truncations, splices from `donor`,
 * deletions, duplications, opcode insertions, and edits of 1/2/4/8-byte little-endian fields
 * to boundary values (biased towards `hot` offsets: known length fields).
 */
export function mutate(rng: RNG, input: Uint8Array, donor: Uint8Array = input, hot: number[] = []): Uint8Array {
  let out: Uint8Array = input.slice();
  const count = 1 + below(rng, 4);
  for (let m = 0; m < count; m++) {
    const n = out.length;
    switch (below(rng, 9)) {
      case 0: if (n) out[below(rng, n)] ^= 1 << below(rng, 8); break;
      case 1: if (n) out[below(rng, n)] = below(rng, 256); break;
      case 2: out = out.slice(0, below(rng, n + 1)); break;
      case 3: { // splice a chunk of the donor over or into the input
        const len = 1 + below(rng, 64);
        const from = below(rng, Math.max(1, donor.length - len));
        const chunk = donor.subarray(from, from + len);
        const at = below(rng, n + 1);
        out = below(rng, 2) ? concat(out.subarray(0, at), chunk, out.subarray(at)) : concat(out.subarray(0, at), chunk, out.subarray(Math.min(n, at + chunk.length)));
        break;
      }
      case 4: { const at = below(rng, n + 1); out = concat(out.subarray(0, at), out.subarray(Math.min(n, at + 1 + below(rng, 32)))); break; }
      case 5: { const at = below(rng, n + 1); const len = 1 + below(rng, 32); out = concat(out.subarray(0, at + len), out.subarray(at)); break; }
      case 6: { const at = below(rng, n + 1); out = concat(out.subarray(0, at), Uint8Array.of(OPCODES[below(rng, OPCODES.length)]), out.subarray(at)); break; }
      default: { // length-field edit
        if (!n) break;
        const at = hot.length && below(rng, 2) ? hot[below(rng, hot.length)] : below(rng, n);
        const width = [1, 2, 4, 8][below(rng, 4)];
        const base = BigInt(INTERESTING[below(rng, INTERESTING.length)]);
        const value = [base, base + 1n, base - 1n, BigInt(n), BigInt(n - at), 2n ** 40n, BigInt(rng())][below(rng, 7)];
        if (at < n) writeLE(out, at, value, width);
        break;
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function disposeAll(v: unknown, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof tf.Tensor) v.dispose();
  else if (v instanceof Map) for (const [k, x] of v) { disposeAll(k, seen); disposeAll(x, seen); }
  else if (Array.isArray(v) || v instanceof Set) for (const x of v) disposeAll(x, seen);
  else for (const x of Object.values(v)) disposeAll(x, seen);
}

/** One fuzzed input and how to run the reader on it. */
export interface FuzzCase { input: Uint8Array; run: () => unknown }
/** A reader under fuzz: makes a mutated case from the rng. */
export interface FuzzTarget { name: string; makeCase: (rng: RNG) => FuzzCase }

/** The formats: safetensors, zip `.pt`, legacy `.pt`, `model.json` + `weights.bin`, TensorFlow bundles and their `checkpoint` file. */
export function fuzzTargets(): FuzzTarget[] {
  const seedTensors: Array<Record<string, tf.Tensor>> = [
    { a: tf.tensor([1, 2, 3, 4], [2, 2]), b: tf.tensor([5, -6], [2], 'int32'), c: tf.scalar(0.5) },
    { 'é.weight': tf.tensor([[1], [2]]), empty: tf.zeros([0]) },
  ];
  const st = [writeSafetensors(seedTensors[0]!, { format: 'pt' }), writeSafetensors(seedTensors[1]!)];
  tf.dispose(seedTensors.flatMap((t) => Object.values(t)));
  const stHot = [0, 1, 2, 3, 4, 5, 6, 7];

  const { tensors, storages } = smallCheckpointSpec();
  const pickleZip = stateDictPickle(tensors, false, 'net');
  const storageData = storages.map(([k, t, v]) => [k, storageBytes(t, v)] as [string, Uint8Array]);
  const zipSeed = smallZipCheckpoint('net');
  const legacySeed = smallLegacyCheckpoint('net');
  const legacyPlain = smallLegacyCheckpoint();
  const legacyTail = legacySeed.length - storageData.reduce((a, [, d]) => a + 8 + d.length, 0);
  const legacyHot: number[] = [];
  for (let at = legacyTail, i = 0; i < storageData.length; i++) { legacyHot.push(at); at += 8 + storageData[i][1].length; }

  // float32, and float16 storage (what saveLayersModelToDir(…, { float16: true }) writes).
  const models = [undefined, { dtype: 'float16', original_dtype: 'float32' }].map((quantization) => ({
    json: new TextEncoder().encode(JSON.stringify({
      modelTopology: { class_name: 'Model', config: {} }, format: 'layers-model', generatedBy: 'fuzz', convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd/kernel', shape: [2, 2], dtype: 'float32', quantization }, { name: 'd/bias', shape: [2], dtype: 'float32', quantization }] }],
    })),
    weights: quantization ? new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600]).buffer)
      : new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer),
  }));

  // TensorFlow bundles: tiny blocks, so that the seeds hold several data blocks and restarts.
  const tfTensors = [
    { name: 'a', shape: [], values: new Float32Array([0.5]) },
    { name: 'conv/kernel', shape: [1, 1, 2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: 'conv/u', shape: [1, 3], values: new Float32Array([0.6, 0, 0.8]) },
    { name: 'steps', shape: [2], dtype: 'int64' as const, values: new BigInt64Array([3n, -4n]) },
    { name: 'x/bias', shape: [2], dtype: 'float64' as const, values: new Float64Array([1, -1]) },
  ];
  const tfSeeds = [buildTfBundle(tfTensors, { blockSize: 48, restartInterval: 2 }), buildTfBundle(tfTensors)];
  const tfStates = ['model_checkpoint_path: "UGATIT.model-1000000"\nall_model_checkpoint_paths: "UGATIT.model-1000000"\n',
    'model_checkpoint_path: "/abs/\\303\\251\\x41\\"q"\nall_model_checkpoint_timestamps: 1565740000.5\nlast_preserved_timestamp: 1.5e9\n']
    .map((t) => new TextEncoder().encode(t));

  return [
    {
      name: 'safetensors',
      makeCase: (rng) => {
        const seed = st[below(rng, st.length)];
        const input = mutate(rng, seed, st[below(rng, st.length)], stHot);
        return { input, run: () => disposeAll(readSafetensors(input)) };
      },
    },
    {
      name: 'zip .pt',
      makeCase: (rng) => {
        // Half raw byte mutations (mostly caught by the zip layer and its CRCs), half mutations
        // of the pickle or a storage repacked into a valid zip, to reach the pickle VM and the
        // tensor checks.
        let input: Uint8Array;
        const mode = below(rng, 4);
        if (mode < 2) input = mutate(rng, zipSeed);
        else if (mode === 2) input = buildZipCheckpoint(mutate(rng, pickleZip), storageData);
        else {
          const i = below(rng, storageData.length);
          input = buildZipCheckpoint(pickleZip, storageData.map(([k, d], j) => [k, j === i ? mutate(rng, d) : d]));
        }
        return { input, run: () => disposeAll(readTorchCheckpoint(input)) };
      },
    },
    {
      name: 'legacy .pt',
      makeCase: (rng) => {
        const seed = below(rng, 2) ? legacySeed : legacyPlain;
        const input = below(rng, 5) ? mutate(rng, seed, legacySeed, seed === legacySeed ? legacyHot : [])
          : buildLegacyCheckpoint(mutate(rng, stateDictPickle(tensors, true)), storages.map(([k, t, v]) => [k, v.length, storageBytes(t, v)]));
        return { input, run: () => disposeAll(readTorchCheckpoint(input)) };
      },
    },
    {
      name: 'model.json + weights.bin',
      makeCase: (rng) => {
        const seed = models[below(rng, models.length)]!;
        const json = below(rng, 4) ? mutate(rng, seed.json) : seed.json;
        const w = below(rng, 3) ? seed.weights : mutate(rng, seed.weights);
        // What is accepted must decode (as tfjs does when it builds the model).
        return {
          input: json,
          run: () => {
            const a = modelArtifactsFromFiles(json, { 'weights.bin': w });
            disposeAll(tf.io.decodeWeights(a.weightData!, a.weightSpecs!));
          },
        };
      },
    },
    {
      name: 'tf checkpoint',
      makeCase: (rng) => {
        // Raw mutations of the index mostly meet the block CRCs; the other modes mutate an
        // entry (key or BundleEntryProto) or a block's contents and reassemble valid CRCs, to
        // reach the block and protobuf parsers, or mutate the data (the entry CRCs).
        const seed = tfSeeds[below(rng, tfSeeds.length)]!;
        let index = seed.index;
        let data = seed.data;
        const mode = below(rng, 4);
        if (mode === 0) index = mutate(rng, seed.index, seed.index, [seed.index.length - 48, seed.index.length - 47, seed.index.length - 46]);
        else if (mode === 1) {
          const entries = seed.entries.map(([k, v]) => [k, v] as [Uint8Array, Uint8Array]);
          const i = below(rng, entries.length);
          entries[i] = below(rng, 3) ? [entries[i]![0], mutate(rng, entries[i]![1])] : [mutate(rng, entries[i]![0]), entries[i]![1]];
          const { blocks, lastKeys } = dataBlocks(entries, 48, 2);
          index = assembleTable(blocks, lastKeys);
        } else if (mode === 2) {
          const { blocks, lastKeys } = dataBlocks(seed.entries, 48, 2);
          const which = below(rng, blocks.length + 2);
          if (which < blocks.length) blocks[which] = mutate(rng, blocks[which]!);
          index = which < blocks.length ? assembleTable(blocks, lastKeys)
            : which === blocks.length ? assembleTable(blocks, lastKeys, { indexBlock: mutate(rng, indexBlockFor(blocks, lastKeys)) })
              : assembleTable(blocks, lastKeys, { metaBlock: mutate(rng, encodeBlock([])) });
        } else data = mutate(rng, seed.data);
        return { input: index, run: () => disposeAll(readTFBundle(index, [data])) };
      },
    },
    {
      name: 'tf checkpoint state',
      makeCase: (rng) => {
        const input = mutate(rng, tfStates[below(rng, tfStates.length)]!);
        return { input, run: () => parseTFCheckpointState(new TextDecoder().decode(input)) };
      },
    },
  ];
}

/** Outcome of {@link runFuzz}. */
export interface FuzzReport {
  target: string;
  cases: number;
  accepted: number;
  refused: number;
  failures: string[];
  slowestMs: number;
  totalMs: number;
}

/** Runs `cases` mutated inputs through `target`, seeded by `seed`. */
export function runFuzz(target: FuzzTarget, cases: number, seed: number, maxCaseMs: number): FuzzReport {
  const rng = mulberry32(seed);
  const report: FuzzReport = { target: target.name, cases, accepted: 0, refused: 0, failures: [], slowestMs: 0, totalMs: 0 };
  const start = performance.now();
  for (let i = 0; i < cases; i++) {
    const c = target.makeCase(rng);
    const t0 = performance.now();
    try {
      c.run();
      report.accepted++;
    } catch (e) {
      if (e instanceof UGATITFormatError) report.refused++;
      else if (report.failures.length < 5) report.failures.push(`case ${i} (seed ${seed}): ${String((e as Error)?.stack ?? e)}\ninput (base64): ${Buffer.from(c.input).toString('base64')}`);
      else report.failures.push(`case ${i}: ${(e as Error)?.message}`);
    }
    const ms = performance.now() - t0;
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (ms > maxCaseMs) report.failures.push(`case ${i} (seed ${seed}) took ${ms.toFixed(1)} ms > ${maxCaseMs} ms; input (base64): ${Buffer.from(c.input).toString('base64')}`);
  }
  report.totalMs = performance.now() - start;
  return report;
}
