import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDiscriminator, createGenerator, loadTFCheckpoint, networkFlavor, UGATITConfigError, UGATITFormatError } from '../../src';
import { inferTFCheckpointConfig, parseOfficialModelDir, planTFCheckpoint, readTFBundle } from '../../src/io';
import type { NamedTensors, NetworkName, TFCheckpointConfig } from '../../src';
import { useBackend } from '../helpers/backends';
import { expectCloseRelativeToMax } from '../helpers/fixtures';
import { selfie2animeVariables, tfCheckpointDir, tfForward, tfManifest } from '../helpers/tf-fixtures';
import { writeTfCheckpoint, type BundleTensor } from '../helpers/tf-checkpoint-writer';

const ALL: NetworkName[] = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];

/** A fixture checkpoint's variables as values, to be edited and written again. */
function fixtureTensors(name: string): Map<string, { shape: number[]; values: Float32Array }> {
  const dir = tfCheckpointDir(name);
  const prefix = path.join(dir, path.basename(tfManifest.cases[name]!.checkpoint_prefix));
  const tensors = readTFBundle(new Uint8Array(readFileSync(`${prefix}.index`)), [new Uint8Array(readFileSync(`${prefix}.data-00000-of-00001`))]);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [k, t] of Object.entries(tensors)) out.set(k, { shape: t.shape, values: Float32Array.from(t.dataSync()) });
  tf.dispose(Object.values(tensors));
  return out;
}

async function writeCheckpoint(root: string, folder: string, prefixName: string, tensors: Map<string, { shape: number[]; values: Float32Array }>): Promise<string> {
  const dir = path.join(root, folder);
  const list: BundleTensor[] = [...tensors].map(([name, t]) => ({ name, shape: t.shape, values: t.values }));
  await writeTfCheckpoint(dir, prefixName, list);
  return dir;
}

async function expectRejects(p: Promise<unknown>, type: typeof UGATITFormatError | typeof UGATITConfigError, pattern: RegExp): Promise<void> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(pattern);
}

let root = '';
beforeAll(async () => {
  await useBackend('cpu');
  root = await mkdtemp(path.join(tmpdir(), 'ugatit-tf-load-'));
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });
let before = 0;
beforeEach(() => { before = tf.memory().numTensors; });
afterEach(() => { expect(tf.memory().numTensors, 'tensors left').toBe(before); });

describe('the released selfie2anime checkpoint (variable list)', () => {
  const entries = new Map(selfie2animeVariables.variables.map((v) => [v.name, { shape: v.shape }]));
  const where = { folder: selfie2animeVariables.model_dir, prefixName: 'UGATIT.model-1000000' };

  it('is read as the full model: ch 64, n_res 4, n_dis 6, 256 px, smoothing', () => {
    const c = inferTFCheckpointConfig(entries, where);
    expect(c).toMatchObject({ light: false, ch: 64, nRes: 4, nDis: 6, imgSize: 256, imgSizeFromWeights: true, imgCh: 3, smoothing: true, step: 1000000 });
    expect(c.modelDir).toMatchObject({ dataset: 'selfie2anime', ganType: 'lsgan', sn: true, smoothing: true });
    const s = selfie2animeVariables.config;
    expect([c.light, c.ch, c.nRes, c.nDis, c.imgSize]).toEqual([s.light, s.ch, s.n_res, s.n_dis, s.img_size]);
  });

  it.each(['tf', 'tf-original'] as const)('flavour %s: maps every weight and spectral-norm u, skips every Adam slot and β power, on purpose', (flavor) => {
    const extra = flavor === 'tf-original' ? selfie2animeVariables.original_code.only_in_original_code : [];
    const all = new Map(entries);
    for (const name of extra) all.set(name, { shape: name.includes('kernel') ? [256, 1] : [1] });
    const config = { ...inferTFCheckpointConfig(all, where), flavor, flavorReason: 'test' } as TFCheckpointConfig;
    const plan = planTFCheckpoint(all, config, ALL);
    const kinds = new Map(selfie2animeVariables.variables.map((v) => [v.name, v.kind]));
    for (const name of extra) kinds.set(name, /Adam/.test(name) ? 'adam' : 'weight');
    const expectedMapped = [...kinds].filter(([, k]) => k === 'weight' || k === 'spectral_norm_u').map(([n]) => n).sort();
    const expectedSkipped = [...kinds].filter(([, k]) => k !== 'weight' && k !== 'spectral_norm_u').map(([n]) => n).sort();
    expect(plan.rows.map((r) => r.tfName).sort()).toEqual(expectedMapped);
    expect(plan.skipped.map((s) => s.name).sort()).toEqual(expectedSkipped);
    for (const s of plan.skipped) {
      expect(s.reason, s.name).toBe(/^beta[12]_power/.test(s.name) ? 'Adam β power (optimizer state)' : 'Adam moment (optimizer state)');
    }
    expect(expectedMapped.length).toBe(248 + 28 + extra.filter((n) => !/Adam/.test(n)).length);
    expect(new Set(plan.rows.map((r) => `${r.network}:${r.weight}`)).size).toBe(plan.rows.length);
  });

  it('every mapped variable fits the weight it goes to (networks of the released widths; generators at 8 px)', () => {
    const config = { ...inferTFCheckpointConfig(entries, where), flavor: 'tf', flavorReason: 'test' } as TFCheckpointConfig;
    const plan = planTFCheckpoint(entries, config, ALL);
    for (const network of ALL) {
      // Only the full MLP's first kernel depends on the image size: (256/4)²·256 rows at 256 px.
      const model = network.startsWith('gen')
        ? createGenerator({ flavor: 'tf', ngf: 64, imgSize: 8, light: false, name: network })
        : createDiscriminator({ flavor: 'tf', ndf: 64, nLayers: network.startsWith('disG') ? 7 : 5, name: network });
      const ours = new Map<string, readonly (number | null)[]>(model.layers.flatMap((l) => l.weights.map((w) => [`${l.name}/${w.originalName.split('/').pop()!}`, w.shape] as const)));
      const rows = plan.rows.filter((r) => r.network === network);
      for (const r of rows) {
        const shape = ours.get(r.weight);
        expect(shape, `${network} ${r.weight}`).toBeDefined();
        const want = r.transform === 'vector' ? [1, ...shape!] : [...shape!];
        if (r.weight === 'mlp_fc1/kernel') want[0] = (256 / 4) ** 2 * 256;
        expect(entries.get(r.tfName)!.shape, r.tfName).toEqual(want);
      }
      // Every weight of ours is loaded, but the v vectors (TensorFlow keeps none; they are computed from u).
      const notMapped = [...ours.keys()].filter((w) => !rows.some((r) => r.weight === w));
      expect(notMapped.every((w) => /(\/|_)v$/.test(w)), notMapped.join(', ')).toBe(true);
      model.dispose();
    }
  });
});

describe('the code version a checkpoint was written with', () => {
  let light: Map<string, { shape: number[]; values: Float32Array }>;
  beforeAll(() => { light = fixtureTensors('light-64'); });
  const folder = tfManifest.cases['light-64']!.model_dir;
  const prefixName = 'UGATIT_light.model-1000000';
  const adalinRhos = (m: Map<string, unknown>) => [...m.keys()].filter((k) => /instance_layer_norm\/rho$/.test(k));

  /**
   * The fixture rewritten as the first code would hold the same networks: generator logits from
   * CAM_logit/dense (= CAM_logit's kernel and bias), AdaLIN ρ stored as the current code uses it
   * (clip(ρ − 0.1, 0, 1) ≤ 0.9), discriminator CAM kernels of norm 1 (so raw w = SN(w)).
   */
  function asOriginalCode(): Map<string, { shape: number[]; values: Float32Array }> {
    const m = new Map(light);
    for (const g of ['generator_A', 'generator_B']) {
      for (const [from, to] of [['kernel', 'dense/kernel'], ['bias', 'dense/bias']]) {
        const t = m.get(`${g}/CAM_logit/${from}`)!;
        m.set(`${g}/CAM_logit/${to}`, t);
        m.set(`${g}/CAM_logit/${to}/Adam`, { shape: t.shape, values: new Float32Array(t.values.length) });
        m.set(`${g}/CAM_logit/${to}/Adam_1`, { shape: t.shape, values: new Float32Array(t.values.length) });
      }
    }
    for (const k of adalinRhos(m)) {
      const t = m.get(k)!;
      m.set(k, { shape: t.shape, values: t.values.map((r) => Math.min(1, Math.max(0, r - 0.1))) });
    }
    for (const k of [...m.keys()].filter((n) => /^discriminator_.\/(global|local)\/CAM_logit\/kernel$/.test(n))) {
      const t = m.get(k)!;
      const norm = Math.hypot(...t.values);
      m.set(k, { shape: t.shape, values: t.values.map((v) => v / norm) });
    }
    return m;
  }

  it('the first code (CAM_logit/dense present, ρ ≤ 0.9) loads as tf-original and gives the same outputs as the equivalent current-code networks', async () => {
    const dir = await writeCheckpoint(path.join(root, 'original'), folder, prefixName, asOriginalCode());
    const nets = await loadTFCheckpoint(dir, { imgSize: 64 });
    const golden: NamedTensors = tfForward('light-64');
    try {
      expect(nets.config.flavor).toBe('tf-original');
      expect(nets.config.flavorReason).toMatch(/CAM_logit\/dense variables present.*first TensorFlow code \(a152166\)/);
      for (const n of ALL) expect(networkFlavor(nets[n]!), n).toBe('tf-original');
      expect(nets.plan.skipped.filter((s) => s.name.includes('CAM_logit/dense')).length).toBe(8);
      tf.tidy(() => {
        for (const [net, scope, input] of [['genA2B', 'generator_B', 'input.A'], ['genB2A', 'generator_A', 'input.B']] as const) {
          const [image, camLogit] = nets[net].predict(golden[input]!) as tf.Tensor[];
          expectCloseRelativeToMax(image!, golden[`${scope}.image`]!, 1e-4, `${scope}.image`);
          expectCloseRelativeToMax(camLogit!, golden[`${scope}.cam_logit`]!, 1e-4, `${scope}.cam_logit`);
        }
        const [logit, camLogit] = nets.disGA!.predict(golden['input.A']!) as tf.Tensor[];
        expectCloseRelativeToMax(logit!, golden['discriminator_A.global.logit']!, 1e-4, 'discriminator_A.global.logit');
        expectCloseRelativeToMax(camLogit!, golden['discriminator_A.global.cam_logit']!, 1e-4, 'discriminator_A.global.cam_logit');
      });
    } finally {
      tf.dispose(Object.values(golden));
      for (const n of ALL) nets[n]?.dispose();
    }
  });

  it('refuses a checkpoint with both signs (dense variables and a ρ above 0.9), naming the commits', async () => {
    const m = asOriginalCode();
    const k = adalinRhos(m)[0]!;
    m.set(k, { shape: m.get(k)!.shape, values: m.get(k)!.values.map(() => 0.95) });
    const dir = await writeCheckpoint(path.join(root, 'between'), folder, prefixName, m);
    await expectRejects(loadTFCheckpoint(dir, { imgSize: 64 }), UGATITFormatError, /CAM_logit\/dense variables .* AdaLIN ρ above 0\.9 \(largest AdaLIN ρ 0\.9500.*between 3014f4a and e8efff1/);
  });

  it('refuses to guess when neither sign is there, and loads with the flavour given', async () => {
    const m = new Map(light);
    for (const k of adalinRhos(m)) m.set(k, { shape: m.get(k)!.shape, values: m.get(k)!.values.map((r) => Math.min(r, 0.85)) });
    const dir = await writeCheckpoint(path.join(root, 'ambiguous'), folder, prefixName, m);
    await expectRejects(loadTFCheckpoint(dir, { imgSize: 64, discriminators: false }), UGATITFormatError, /cannot tell which TensorFlow code.*every AdaLIN ρ ≤ 0\.9 \(largest AdaLIN ρ 0\.8500\).*pass flavor 'tf'.*or 'tf-original'/);
    await expectRejects(loadTFCheckpoint(dir, { imgSize: 64, flavor: 'tf-original' }), UGATITConfigError, /flavor 'tf-original' was given, but the checkpoint has no CAM_logit\/dense/);
    const nets = await loadTFCheckpoint(dir, { imgSize: 64, discriminators: false, flavor: 'tf' });
    expect(nets.config.flavorReason).toMatch(/^given/);
    nets.genA2B.dispose();
    nets.genB2A.dispose();
  });
});

describe('loading options and refusals', () => {
  let light: Map<string, { shape: number[]; values: Float32Array }>;
  beforeAll(() => { light = fixtureTensors('light-64'); });
  const folder = tfManifest.cases['light-64']!.model_dir;

  it('discriminators: false loads the generators only and says why the rest is skipped', async () => {
    const nets = await loadTFCheckpoint(tfCheckpointDir('light-64'), { imgSize: 64, discriminators: false });
    expect(Object.keys(nets).filter((k) => ALL.includes(k as NetworkName))).toEqual(['genA2B', 'genB2A']);
    const reasons = new Set(nets.plan.skipped.filter((s) => s.name.startsWith('discriminator_A/global') && !s.name.includes('Adam')).map((s) => s.reason));
    expect([...reasons]).toEqual(['disGA not requested']);
    nets.genA2B.dispose();
    nets.genB2A.dispose();
  });

  it('refuses options and folder names that contradict the variables', async () => {
    await expectRejects(loadTFCheckpoint(tfCheckpointDir('full-48'), { imgSize: 64 }), UGATITConfigError, /fix the image size at 48, received imgSize 64/);
    await expectRejects(loadTFCheckpoint(tfCheckpointDir('light-64'), { smoothing: false }), UGATITConfigError, /folder name .* says smoothing true, received smoothing false/);
    const wrong = await writeCheckpoint(path.join(root, 'renamed'), folder.replace('_4dis_', '_6dis_'), 'UGATIT_light.model-1000000', light);
    await expectRejects(loadTFCheckpoint(wrong), UGATITConfigError, /folder name UGATIT_light_selfie2anime_lsgan_4resblock_6dis_.* says n_dis 6, the variables say 4/);
    const full = await writeCheckpoint(path.join(root, 'prefix'), 'anything', 'UGATIT.model-5', light);
    await expectRejects(loadTFCheckpoint(full), UGATITConfigError, /is named UGATIT.model-5 but its generators are light/);
    expect(parseOfficialModelDir('UGATIT_my_data_set_hinge_4resblock_6dis_1_1_10_10_1000')).toMatchObject({ dataset: 'my_data_set', ganType: 'hinge', sn: false, smoothing: false });
    expect(parseOfficialModelDir('my-checkpoints')).toBeNull();
  });

  it('refuses unexpected and missing variables, listing them', async () => {
    const m = new Map(light);
    m.set('generator_B/extra/kernel', { shape: [1], values: new Float32Array(1) });
    m.delete('discriminator_B/local/D_logit/bias');
    const dir = await writeCheckpoint(path.join(root, 'misfit'), folder, 'UGATIT_light.model-1000000', m);
    await expectRejects(loadTFCheckpoint(dir, { imgSize: 64 }), UGATITFormatError, /missing variables: discriminator_B\/local\/D_logit\/bias\. unexpected variables: generator_B\/extra\/kernel/);
    // Without the discriminators, the missing one does not matter; the unexpected one still does.
    await expectRejects(loadTFCheckpoint(dir, { imgSize: 64, discriminators: false }), UGATITFormatError, /^TensorFlow checkpoint: does not fit .* unexpected variables: generator_B\/extra\/kernel$/);
    const noSn = new Map(light);
    noSn.set('discriminator_A/global/conv_0/conv2d/kernel', noSn.get('discriminator_A/global/conv_0/kernel')!);
    const dir2 = await writeCheckpoint(path.join(root, 'nosn'), 'plain', 'UGATIT_light.model-1', noSn);
    await expectRejects(loadTFCheckpoint(dir2, { imgSize: 64 }), UGATITFormatError, /no spectral norm \(trained with --sn False\)/);
  });
});
