import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDiscriminator, createGenerator, discriminatorMinInputSize, exportTorchStateDict, loadTorchStateDict, networkFlavor,
  UGATITConfigError, UGATITFormatError,
} from '../../src';
import type { DiscriminatorConfig, GeneratorConfig, NamedTensors } from '../../src';
import { describeEachBackend, useBackend } from '../helpers/backends';

// Configurations the fixtures do not cover: widths, depths, sizes, batches, channel counts.
const GENERATORS: Array<GeneratorConfig & { batch: number }> = [
  { ngf: 4, nBlocks: 1, imgSize: 8, light: true, batch: 1 },
  { ngf: 6, nBlocks: 1, imgSize: 16, light: false, inputChannels: 1, outputChannels: 1, batch: 3 },
  { ngf: 3, nBlocks: 1, imgSize: 12, light: false, batch: 1 },
  { ngf: 4, nBlocks: 3, imgSize: 24, light: false, inputChannels: 4, batch: 2 },
  { ngf: 2, nBlocks: 2, imgSize: 64, light: true, outputChannels: 1, batch: 2 },
  { ngf: 2, nBlocks: 1, imgSize: 64, light: false, batch: 1 },
];
const DISCRIMINATORS: Array<DiscriminatorConfig & { batch: number; size: [number, number] }> = [
  { ndf: 2, nLayers: 7, size: [96, 96], batch: 1 },
  { ndf: 3, nLayers: 5, inputChannels: 1, size: [40, 40], batch: 3 },
  { ndf: 2, nLayers: 3, inputChannels: 4, size: [10, 14], batch: 2 },
  { ndf: 4, nLayers: 6, size: [64, 64], batch: 2 },
];

const bytesOf = (t: tf.Tensor) => Array.from(t.dataSync());

/** The reference discriminator's sizes: n_layers − 2 padded stride-2 4×4 convs (s → ⌊s/2⌋), then a stride-1 one (−1) before the CAM, then the head (−1). */
function discriminatorSizes(s: number, nLayers: number): { heatmap: number; logit: number } {
  for (let i = 0; i < nLayers - 2; i++) s = Math.floor(s / 2);
  return { heatmap: s - 1, logit: s - 2 };
}

function expectSameOutputs(a: tfl.LayersModel, b: tfl.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    const [oa, ob] = [a.predict(x) as tf.Tensor[], b.predict(x) as tf.Tensor[]];
    oa.forEach((t, i) => expect(bytesOf(ob[i]), `output ${i}`).toEqual(bytesOf(t)));
  });
}

function expectSameStateDict(a: NamedTensors, b: NamedTensors): void {
  expect(Object.keys(b)).toEqual(Object.keys(a));
  for (const k of Object.keys(a)) {
    expect(b[k].shape, k).toEqual(a[k].shape);
    expect(bytesOf(b[k]), k).toEqual(bytesOf(a[k]));
  }
}

let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors, 'tensors leaked').toBe(before); });

describeEachBackend('network factories on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(GENERATORS)('generator %j: output shapes, PyTorch shapes, exact export → import round trip', ({ batch, ...config }) => {
    const { imgSize = 256, inputChannels = 3, outputChannels = 3, ngf = 64, light } = config;
    const gen = createGenerator(config);
    const x = tf.randomUniform([batch, imgSize, imgSize, inputChannels], -1, 1, 'float32', 1);
    const [image, camLogit, heatmap] = gen.predict(x) as tf.Tensor[];
    expect(image.shape).toEqual([batch, imgSize, imgSize, outputChannels]);
    expect(camLogit.shape).toEqual([batch, 2]);
    expect(heatmap.shape).toEqual([batch, imgSize / 4, imgSize / 4, 1]);
    expect(Math.max(...Array.from(image.dataSync(), Math.abs))).toBeLessThanOrEqual(1);

    const sd = exportTorchStateDict(gen);
    const bottleneck = (imgSize / 4) ** 2 * ngf * 4;
    expect(sd['DownBlock.1.weight'].shape).toEqual([ngf, inputChannels, 7, 7]);
    expect(sd['FC.0.weight'].shape).toEqual([ngf * 4, light ? ngf * 4 : bottleneck]);
    expect(sd['UpBlock2.11.weight'].shape).toEqual([outputChannels, ngf, 7, 7]);
    expect(Object.keys(sd).filter((k) => k.startsWith('UpBlock1_')).length).toBe(4 * (config.nBlocks ?? 4));

    const twin = createGenerator(config);
    const report = loadTorchStateDict(twin, sd);
    expect(report.loaded.length).toBe(Object.keys(sd).length);
    expectSameOutputs(gen, twin, x);
    const again = exportTorchStateDict(twin);
    expectSameStateDict(sd, again);
    tf.dispose([x, image, camLogit, heatmap, ...Object.values(sd), ...Object.values(again)]);
    gen.dispose();
    twin.dispose();
  });

  it.each(DISCRIMINATORS)('discriminator %j: output shapes, exact export → import round trip with u, v', ({ batch, size, ...config }) => {
    const { inputChannels = 3, ndf = 64, nLayers = 7 } = config;
    const dis = createDiscriminator(config);
    const x = tf.randomUniform([batch, size[0], size[1], inputChannels], -1, 1, 'float32', 2);
    tf.dispose(dis.apply(x, { training: true }) as tf.Tensor[]); // move u, v away from their initial values
    const [logit, camLogit, heatmap] = dis.predict(x) as tf.Tensor[];
    const [h, w] = [discriminatorSizes(size[0], nLayers), discriminatorSizes(size[1], nLayers)];
    expect(logit.shape).toEqual([batch, h.logit, w.logit, 1]);
    expect(camLogit.shape).toEqual([batch, 2]);
    expect(heatmap.shape).toEqual([batch, h.heatmap, w.heatmap, 1]);

    const sd = exportTorchStateDict(dis);
    expect(sd['model.1.weight_orig'].shape).toEqual([ndf, inputChannels, 4, 4]);
    expect(sd['conv.weight_orig'].shape).toEqual([1, ndf * 2 ** (nLayers - 2), 4, 4]);
    expect(sd['gap_fc.weight_v'].shape).toEqual([ndf * 2 ** (nLayers - 2)]);

    const twin = createDiscriminator(config);
    loadTorchStateDict(twin, sd);
    expectSameOutputs(dis, twin, x);
    const again = exportTorchStateDict(twin);
    expectSameStateDict(sd, again);
    // Both advance u, v identically in training mode.
    tf.tidy(() => {
      const [a, b] = [dis.apply(x, { training: true }) as tf.Tensor[], twin.apply(x, { training: true }) as tf.Tensor[]];
      a.forEach((t, i) => expect(bytesOf(b[i])).toEqual(bytesOf(t)));
    });
    tf.dispose([x, logit, camLogit, heatmap, ...Object.values(sd), ...Object.values(again)]);
    dis.dispose();
    twin.dispose();
  });
});

describe('TensorFlow flavours on cpu', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(['tf', 'tf-original'] as const)('%s: 256 px discriminators give the official 8×8 (global) and 32×32 (local) logits and heatmaps', (flavor) => {
    const x = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 4);
    for (const [nLayers, side] of [[7, 8], [5, 32]] as const) {
      const dis = createDiscriminator({ flavor, ndf: 1, nLayers });
      const [logit, camLogit, heatmap] = dis.predict(x) as tf.Tensor[];
      expect(logit.shape).toEqual([1, side, side, 1]);
      expect(heatmap.shape).toEqual([1, side, side, 1]);
      expect(camLogit.shape).toEqual([1, 2]);
      tf.dispose([logit, camLogit, heatmap]);
      dis.dispose();
    }
    x.dispose();
  });

  it.each([
    { flavor: 'tf' as const, light: true, extra: 0 }, { flavor: 'tf' as const, light: false, extra: 0 },
    { flavor: 'tf-original' as const, light: true, extra: 2 },
  ])('$flavor generator (light $light): the PyTorch weights plus conv biases, γ/β, MLP biases, one CAM FC with bias', ({ flavor, light, extra }) => {
    const gen = createGenerator({ flavor, ngf: 2, imgSize: 16, light });
    const pytorch = createGenerator({ ngf: 2, imgSize: 16, light });
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 5);
    const [image, camLogit, heatmap] = gen.predict(x) as tf.Tensor[];
    expect([image.shape, camLogit.shape, heatmap.shape]).toEqual([[2, 16, 16, 3], [2, 2], [2, 4, 4, 1]]);
    // 22 conv biases (stem, 2 down, 8 encoder, 8 decoder, 2 up, head), 2·(1 + 2 + 8) norm γ/β,
    // 4 MLP biases; fc_kernel/fc_bias replace gap_fc/gmp_fc (tf-original adds logit_fc_kernel/bias).
    expect(gen.trainableWeights.length).toBe(pytorch.trainableWeights.length + 22 + 22 + 4 + extra);
    expect(networkFlavor(gen)).toBe(flavor);
    expect(networkFlavor(pytorch)).toBe('pytorch');
    expect(() => exportTorchStateDict(gen)).toThrow(/TensorFlow-flavour network \(flavor '.*'\): its biases, affine norms and shared CAM FC have no place/);
    tf.dispose([x, image, camLogit, heatmap]);
    gen.dispose();
    pytorch.dispose();
  });

  it('refuses flavour options that contradict the flavour', () => {
    expect(() => createGenerator({ flavor: 'tf', nBlocks: 2 })).toThrow(/flavor 'tf' needs nBlocks 4 .*received 2/);
    expect(() => createGenerator({ flavor: 'tf', unbiasedVariance: true })).toThrow(/uses biased variances .* contradicts it/);
    expect(() => createGenerator({ smoothing: false })).toThrow(/smoothing is the TensorFlow reference's flag/);
    expect(() => createGenerator({ flavor: 'keras' as 'tf' })).toThrow(/flavor must be one of pytorch, tf, tf-original, received "keras"/);
    expect(() => createDiscriminator({ flavor: 'keras' as 'tf' })).toThrow(UGATITConfigError);
  });
});

describe('state_dict import on cpu', () => {
  beforeAll(() => useBackend('cpu'));

  it('strict mode lists every missing, unexpected and mismatched key in one error; non-strict reports them', () => {
    const config = { ngf: 2, nBlocks: 1, imgSize: 8, light: true };
    const source = createGenerator(config);
    const sd = exportTorchStateDict(source);
    const broken: NamedTensors = { ...sd };
    delete broken['gamma.weight'];
    delete broken['UpBlock1_1.norm2.rho'];
    broken['extra.weight'] = tf.zeros([2]);
    broken['num_batches_tracked'] = tf.zeros([1]);
    const wrongShape = tf.zeros([8, 3, 7, 7]);
    broken['DownBlock.1.weight'] = wrongShape;

    const target = createGenerator(config);
    const snapshot = exportTorchStateDict(target);
    let error: unknown;
    try { loadTorchStateDict(target, broken); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(UGATITFormatError);
    expect((error as Error).message).toMatch(
      /missing keys: gamma\.weight, UpBlock1_1\.norm2\.rho\. unexpected keys: extra\.weight, num_batches_tracked\. shape mismatches: DownBlock\.1\.weight: expected \[2,3,7,7\], received \[8,3,7,7\]/);
    // Nothing was written.
    const unchanged = exportTorchStateDict(target);
    expectSameStateDict(snapshot, unchanged);

    const report = loadTorchStateDict(target, broken, { strict: false });
    expect(report.missing).toEqual(['gamma.weight', 'UpBlock1_1.norm2.rho']);
    expect(report.unexpected).toEqual(['extra.weight', 'num_batches_tracked']);
    expect(report.mismatched).toEqual(['DownBlock.1.weight: expected [2,3,7,7], received [8,3,7,7]']);
    expect(report.loaded.length).toBe(Object.keys(sd).length - 3);
    const after = exportTorchStateDict(target);
    for (const k of Object.keys(sd)) {
      const want = report.loaded.includes(k) ? sd[k] : snapshot[k];
      expect(bytesOf(after[k]), k).toEqual(bytesOf(want));
    }
    tf.dispose([...Object.values(sd), ...Object.values(snapshot), ...Object.values(unchanged), ...Object.values(after),
      broken['extra.weight'], broken['num_batches_tracked'], wrongShape]);
    source.dispose();
    target.dispose();
  });

  it('refuses a generator state_dict for a discriminator, and models the factories did not build', () => {
    const gen = createGenerator({ ngf: 2, nBlocks: 1, imgSize: 8, light: true });
    const dis = createDiscriminator({ ndf: 2, nLayers: 3 });
    const sd = exportTorchStateDict(gen);
    expect(() => loadTorchStateDict(dis, sd)).toThrow(/missing keys: model\.1\.bias, model\.1\.weight_orig.*unexpected keys: DownBlock\.1\.weight/);
    const input = tfl.input({ shape: [3] });
    const other = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 1 }).apply(input) as tfl.SymbolicTensor, name: 'mlp' });
    expect(() => loadTorchStateDict(other, sd)).toThrow(/mlp was not built by createGenerator or createDiscriminator/);
    expect(() => exportTorchStateDict(other)).toThrow(UGATITFormatError);
    tf.dispose(Object.values(sd));
    gen.dispose();
    dis.dispose();
    other.dispose();
  });

  it('the full generator FC.0.weight multiplies the NCHW flattening of the CAM features', () => {
    const gen = createGenerator({ ngf: 3, nBlocks: 1, imgSize: 16, light: false });
    const fc1 = gen.getLayer('mlp_fc1');
    const probe = tfl.model({ inputs: gen.inputs, outputs: [(gen.getLayer('cam').output as tfl.SymbolicTensor[])[0], fc1.output as tfl.SymbolicTensor] });
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 3);
    const sd = exportTorchStateDict(gen);
    const [features, hidden] = probe.predict(x) as tf.Tensor[];
    expect(features.shape).toEqual([2, 4, 4, 12]);
    // PyTorch: relu(x.view(N, -1) @ W.T) with x in NCHW.
    const manual = tf.tidy(() => tf.relu(tf.matMul(tf.reshape(tf.transpose(features, [0, 3, 1, 2]), [2, -1]), sd['FC.0.weight'], false, true)));
    const [m, hd] = [manual.dataSync(), hidden.dataSync()];
    const scale = Math.max(...Array.from(hd, Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(Math.max(...Array.from(m, (v, i) => Math.abs(v - hd[i])))).toBeLessThan(1e-5 * scale);
    // The NHWC order would not match.
    const wrong = tf.tidy(() => tf.relu(tf.matMul(tf.reshape(features, [2, -1]), sd['FC.0.weight'], false, true)));
    expect(Math.max(...Array.from(wrong.dataSync(), (v, i) => Math.abs(v - hd[i])))).toBeGreaterThan(1e-3 * scale);
    tf.dispose([x, features, hidden, manual, wrong, ...Object.values(sd)]);
    gen.dispose();
  });
});

describe('bad configurations and inputs on cpu', () => {
  beforeAll(() => useBackend('cpu'));

  const expectConfigError = (f: () => unknown, pattern: RegExp) => {
    let error: unknown;
    try { f(); } catch (e) { error = e; }
    expect(error, `expected a UGATITConfigError matching ${pattern}`).toBeInstanceOf(UGATITConfigError);
    expect((error as Error).message).toMatch(pattern);
  };

  it('rejects generator configs, naming the value received', () => {
    expectConfigError(() => createGenerator({ imgSize: 30 }), /imgSize must be a multiple of 4 and at least 8, received 30/);
    expectConfigError(() => createGenerator({ imgSize: 4 }), /imgSize .*received 4/);
    expectConfigError(() => createGenerator({ ngf: -4 }), /ngf must be an integer of at least 1, received -4/);
    expectConfigError(() => createGenerator({ nBlocks: -1 }), /nBlocks must be an integer of at least 1, received -1/);
    // The reference keeps an unused γ/β MLP at 0 blocks, which a tfjs model cannot hold.
    expectConfigError(() => createGenerator({ nBlocks: 0 }), /nBlocks must be an integer of at least 1, received 0/);
    expectConfigError(() => createGenerator({ inputChannels: 1.5 }), /inputChannels must be an integer of at least 1, received 1\.5/);
    expectConfigError(() => createGenerator({ outputChannels: 0 }), /outputChannels .*received 0/);
  });

  it('rejects discriminator configs, naming the value received', () => {
    expectConfigError(() => createDiscriminator({ nLayers: 2 }), /nLayers must be an integer of at least 3, received 2/);
    expectConfigError(() => createDiscriminator({ ndf: 0 }), /ndf must be an integer of at least 1, received 0/);
    expectConfigError(() => createDiscriminator({ inputChannels: -3 }), /inputChannels .*received -3/);
  });

  it('rejects inputs too small for the discriminator depth: 95 px for 7 layers, 23 px for 5', () => {
    expect(discriminatorMinInputSize(7)).toBe(96);
    expect(discriminatorMinInputSize(5)).toBe(24);
    for (const [nLayers, size] of [[7, 95], [5, 23]]) {
      const dis = createDiscriminator({ ndf: 1, nLayers });
      const x = tf.zeros([1, size, size, 3]);
      expectConfigError(() => dis.predict(x), new RegExp(`input of ${size}×${size} px is smaller than the ${size + 1}×${size + 1} px`));
      expectConfigError(() => dis.apply(x, { training: true }), new RegExp(`${size}×${size} px`));
      const ok = tf.zeros([1, size + 1, size + 1, 3]);
      const out = dis.predict(ok) as tf.Tensor[];
      expect(out[0].shape).toEqual([1, 1, 1, 1]);
      tf.dispose([x, ok, ...out]);
      dis.dispose();
    }
  });

  it('rejects inputs of the wrong rank or size, naming the shape received', () => {
    const gen = createGenerator({ ngf: 2, nBlocks: 1, imgSize: 8 });
    const dis = createDiscriminator({ ndf: 1, nLayers: 3 });
    const flat = tf.zeros([8, 8, 3]);
    const big = tf.zeros([1, 12, 12, 3]);
    const gray = tf.zeros([1, 8, 8, 1]);
    expect(() => gen.predict(flat)).toThrow(/\[8,8,3\]/);
    expectConfigError(() => gen.apply(flat), /rank-4 NHWC tensor, received shape \[8,8,3\]/);
    expect(() => gen.predict(big)).toThrow(/\[1,12,12,3\]/);
    expect(() => gen.predict(gray)).toThrow(/\[1,8,8,1\]/);
    expect(() => dis.predict(flat)).toThrow(/\[8,8,3\]/);
    expectConfigError(() => dis.apply(flat), /rank 4, received shape \[8,8,3\]/);
    expect(() => dis.predict(gray)).toThrow(/\[1,8,8,1\]/);
    tf.dispose([flat, big, gray]);
    gen.dispose();
    dis.dispose();
  });
});
