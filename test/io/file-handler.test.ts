import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UGATITFormatError } from '../../src/errors';
import { fileSystemHandler, loadLayersModelFromDir, modelArtifactsFromFiles, saveLayersModelToDir } from '../../src/io/file-handler';
import { createGenerator } from '../../src/networks/generator';
import { useBackend } from '../helpers/backends';

let root = '';
beforeAll(async () => {
  await useBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'ugatit-io-'));
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

function tinyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  const hidden = tfl.layers.dense({ units: 4, activation: 'relu', name: 'hidden' }).apply(input) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: 2, name: 'out' }).apply(hidden) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'tiny' });
}

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('fileSystemHandler', () => {
  it('saves model.json + weights.bin in the tfjs layers format and loads an identical model', async () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    const dir = join(root, 'tiny', 'nested');
    const result = await saveLayersModelToDir(model, dir);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((3 * 4 + 4 + 4 * 2 + 2) * 4);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.convertedBy).toBe(null);
    expect(json.generatedBy).toMatch(/TensorFlow\.js/);
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']);
    expect(json.modelTopology.class_name).toBe('Model');

    const again = await loadLayersModelFromDir(dir);
    const x = tf.tensor([[1, -2, 3], [0.5, 0.25, -1]]);
    const [a, b] = [model.predict(x) as tf.Tensor, again.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes userDefinedMetadata and leaves no temporary files', async () => {
    const dir = join(root, 'meta');
    const handler = fileSystemHandler(dir);
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: { hello: 'world' },
      weightSpecs: [{ name: 'w', shape: [2], dtype: 'float32' }],
      weightData: new Float32Array([1, 2]).buffer,
      userDefinedMetadata: { epoch: 3 } as unknown as { [k: string]: {} },
    };
    await handler.save!(artifacts);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const back = await handler.load!();
    expect(back.userDefinedMetadata).toEqual({ epoch: 3 });
    expect(back.modelTopology).toEqual({ hello: 'world' });
    expect(Array.from(new Float32Array(back.weightData as ArrayBuffer))).toEqual([1, 2]);
    // A manifest that disagrees with its own weights is refused before anything is written.
    await expect(handler.save!({ ...artifacts, weightData: new ArrayBuffer(4) })).rejects.toThrow(/4 bytes, but the manifest's 1 weights need 8/);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('saves float16 (half the bytes) and loads it back: the values tfjs decodes in a browser, within half precision of float32', async () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    const dir32 = join(root, 'f32');
    const dir16 = join(root, 'f16');
    const r32 = await saveLayersModelToDir(model, dir32);
    const r16 = await saveLayersModelToDir(model, dir16, { float16: true });
    expect(r16.modelArtifactsInfo.weightDataBytes! * 2).toBe(r32.modelArtifactsInfo.weightDataBytes);
    expect((await readdir(dir16)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir16, 'model.json'), 'utf8'));
    for (const w of json.weightsManifest[0].weights) expect(w).toMatchObject({ dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } });

    const loaded = await loadLayersModelFromDir(dir16);
    // What tf.loadLayersModel makes of the same files without our reader (the browser path).
    const bin = await readFile(join(dir16, 'weights.bin'));
    const browser = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    model.weights.forEach((w, i) => {
      const [original, ours, theirs] = [w.read(), loaded.weights[i]!.read(), browser.weights[i]!.read()];
      expect(Array.from(ours.dataSync()), w.name).toEqual(Array.from(theirs.dataSync()));
      const o = original.dataSync();
      ours.dataSync().forEach((v, k) => expect(Math.abs(v - o[k]!), w.name).toBeLessThanOrEqual(Math.abs(o[k]!) * 2 ** -11 + 2 ** -25));
    });
    // Saving what was loaded as float32 keeps the float16 values exactly.
    await saveLayersModelToDir(loaded, join(root, 'f16-f32'));
    const again = await loadLayersModelFromDir(join(root, 'f16-f32'));
    again.weights.forEach((w, i) => expect(Array.from(w.read().dataSync())).toEqual(Array.from(loaded.weights[i]!.read().dataSync())));
    [model, loaded, browser, again].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saveLayersModelToDir streams the same files model.save writes through the handler, float32 and float16', async () => {
    const before = tf.memory().numTensors;
    const model = createGenerator({ flavor: 'tf', ngf: 2, imgSize: 8, light: true });
    for (const float16 of [false, true]) {
      const [streamed, gathered] = [join(root, `streamed-${float16}`), join(root, `gathered-${float16}`)];
      await saveLayersModelToDir(model, streamed, { float16 });
      await model.save(fileSystemHandler(gathered, { float16 }));
      for (const f of ['model.json', 'weights.bin']) {
        expect(Buffer.compare(await readFile(join(streamed, f)), await readFile(join(gathered, f))), `${f}, float16 ${float16}`).toBe(0);
      }
    }
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports missing or misplaced files as format errors naming model.json', async () => {
    await expect(loadLayersModelFromDir(join(root, 'nowhere'))).rejects.toThrow(UGATITFormatError);
    await expect(loadLayersModelFromDir(join(root, 'nowhere'))).rejects.toThrow(/nowhere\/model\.json: not found \(ENOENT\)/);
    await writeFile(join(root, 'plain-file'), 'x');
    await expect(loadLayersModelFromDir(join(root, 'plain-file'))).rejects.toThrow(/plain-file\/model\.json: not found \(ENOTDIR\)/);
  });

  it('refuses a truncated weights.bin or a missing one on load', async () => {
    const dir = join(root, 'broken');
    await saveLayersModelToDir(tinyModel(), dir);
    const weights = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/weights\.bin: 100 bytes, but the manifest's 4 weights need 104/);
    await rm(join(dir, 'weights.bin'));
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(UGATITFormatError);
    await expect(loadLayersModelFromDir(dir)).rejects.toThrow(/weight file "weights\.bin" is missing/);
  });
});

describe('modelArtifactsFromFiles', () => {
  const good = { modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }] };
  const files = { 'weights.bin': new Uint8Array(8) };
  const refuses = (json: unknown, pattern: RegExp, f: Record<string, Uint8Array> = files): void => {
    const call = (): unknown => modelArtifactsFromFiles(json instanceof Uint8Array ? json : enc(json), f);
    expect(call).toThrow(UGATITFormatError);
    expect(call).toThrow(pattern);
  };
  const withWeight = (w: Record<string, unknown>): unknown => ({ ...good, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32', ...w }] }] });

  it('accepts float16 storage of float32 weights and leaves the decoding to tfjs', () => {
    const half = { ...good, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } }] }] };
    const a = modelArtifactsFromFiles(enc(half), { 'weights.bin': new Uint8Array([0x00, 0x3c, 0x00, 0xc0]) });
    expect(a.weightSpecs).toEqual([{ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } }]);
    const [w] = Object.values(tf.io.decodeWeights(a.weightData!, a.weightSpecs!));
    expect(Array.from(w!.dataSync())).toEqual([1, -2]);
    w!.dispose();
  });

  it('accepts a consistent manifest, including several shards', () => {
    const a = modelArtifactsFromFiles(enc(good), files);
    expect(a.weightSpecs).toEqual([{ name: 'w', shape: [2], dtype: 'float32' }]);
    const sharded = { modelTopology: {}, weightsManifest: [{ paths: ['g1-shard1', 'g1-shard2'], weights: [{ name: 'w', shape: [3], dtype: 'int32' }, { name: 'b', shape: [4], dtype: 'bool' }] }] };
    const b = modelArtifactsFromFiles(enc(sharded), { 'g1-shard1': new Uint8Array(10), 'g1-shard2': new Uint8Array(6) });
    expect((b.weightData as ArrayBuffer).byteLength).toBe(16);
  });

  it('refuses inconsistent or hostile manifests', () => {
    refuses(new TextEncoder().encode('{"modelTopology":'), /model\.json: not valid UTF-8 JSON/);
    refuses([], /not a JSON object/);
    refuses({ weightsManifest: [] }, /modelTopology is missing/);
    refuses({ modelTopology: {} }, /weightsManifest is missing/);
    refuses({ ...good, format: 5 }, /format is not a string/);
    refuses({ ...good, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }, /is not a plain file name/);
    refuses({ ...good, weightsManifest: [{ paths: ['/abs'], weights: [] }] }, /is not a plain file name/);
    refuses({ ...good, weightsManifest: [{ paths: ['weights.bin', 'weights.bin'], weights: [] }] }, /listed twice/);
    refuses({ ...good, weightsManifest: [{ paths: ['other.bin'], weights: [] }] }, /weight file "other\.bin" is missing/);
    refuses({ ...good, weightsManifest: [{ paths: ['__proto__'], weights: [] }] }, /weight file "__proto__" is missing/);
    refuses(withWeight({ dtype: 'string' }), /dtype "string" is not float32, int32 or bool/);
    refuses(withWeight({ shape: [2.5] }), /invalid shape/);
    refuses(withWeight({ shape: [2 ** 20, 2 ** 20] }), /more than 536870912 elements/);
    refuses(withWeight({ shape: [3] }), /weights\.bin: 8 bytes, but the manifest's 1 weights need 12/);
    refuses(withWeight({ quantization: { dtype: 'uint8', scale: 1, min: 0 } }), /quantization \{"dtype":"uint8","scale":1,"min":0\} is not supported \(only float16 storage of float32 weights\)/);
    refuses(withWeight({ dtype: 'int32', quantization: { dtype: 'float16' } }), /only float16 storage of float32 weights/);
    refuses(withWeight({ quantization: { dtype: 'float16', original_dtype: 'int32' } }), /only float16 storage of float32 weights/);
    // float16 needs 2 bytes per element: the 8-byte file is too long for two of them.
    refuses(withWeight({ quantization: { dtype: 'float16' } }), /weights\.bin: 8 bytes, but the manifest's 1 weights need 4/);
    refuses(withWeight({ name: '' }), /name is not a non-empty string/);
    refuses({ ...good, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }, { name: 'w', shape: [1], dtype: 'float32' }] }] }, /weight "w" is listed twice/);
  });
});
