// The golden training comparison: every recorded step of a training fixture run with our
// trainer on the active backend, against the official values. Free of Node APIs, and reading
// tensors only asynchronously: the browser test page bundles it for webgl and webgpu.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createDiscriminator, createGenerator, disposeNetworks, disposeTrainerState, exportTorchStateDict, loadTorchStateDict, NETWORK_NAMES, torchWeightTable, UGATITTrainer } from '../../src';
import type { NamedTensors, NetworkName, StepLosses, UGATITNetworks } from '../../src';
import { differenceOfTensors, toNHWC, withPrefix } from './golden-compare';

/** The two golden training fixtures recorded with the official `UGATIT.train()`. */
export const TRAINING_FIXTURES = ['train-step', 'train-step-full'] as const;
export type TrainingFixtureName = (typeof TRAINING_FIXTURES)[number];

/** The reference configuration a training fixture was recorded with (`manifest.json` / `train-step-full.json`). */
export interface ReferenceTrainingConfig {
  ch: number; n_res: number; img_size: number; light: boolean;
  lr: number; weight_decay: number; betas: [number, number];
  adv_weight: number; cycle_weight: number; identity_weight: number; cam_weight: number;
  iteration: number; decay_flag: boolean; steps: number;
  dis_global_layers: number; dis_local_layers: number;
}

/** A training fixture: its tensors, configuration and every loss term (and lr) of every step. */
export interface TrainingFixture {
  name: TrainingFixtureName;
  tensors: NamedTensors;
  config: ReferenceTrainingConfig;
  losses: Record<string, StepLosses & { lr?: number }>;
}

/** The six networks of a training fixture, with its initial weights. */
export function buildReferenceNetworks(f: TrainingFixture): UGATITNetworks {
  const c = f.config;
  const gen = (name: string) => createGenerator({ ngf: c.ch, nBlocks: c.n_res, imgSize: c.img_size, light: c.light, name });
  const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: c.ch, nLayers, name });
  const nets: UGATITNetworks = {
    genA2B: gen('genA2B'), genB2A: gen('genB2A'),
    disGA: dis('disGA', c.dis_global_layers), disGB: dis('disGB', c.dis_global_layers),
    disLA: dis('disLA', c.dis_local_layers), disLB: dis('disLB', c.dis_local_layers),
  };
  for (const name of NETWORK_NAMES) loadTorchStateDict(nets[name], withPrefix(f.tensors, `init.${name}`));
  return nets;
}

/** A trainer with the fixture's hyper-parameters. */
export function referenceTrainer(f: TrainingFixture, nets: UGATITNetworks): UGATITTrainer {
  const c = f.config;
  return new UGATITTrainer(nets, {
    lr: c.lr, betas: c.betas, weightDecay: c.weight_decay, iterations: c.iteration, decay: c.decay_flag,
    advWeight: c.adv_weight, cycleWeight: c.cycle_weight, identityWeight: c.identity_weight, camWeight: c.cam_weight,
  });
}

/** Our tensors keyed by weight original name, converted to PyTorch keys and layouts. */
export function inTorchLayout(model: tfl.LayersModel, byOriginalName: tf.NamedTensorMap): NamedTensors {
  const out: NamedTensors = {};
  for (const row of torchWeightTable(model)) {
    const g = byOriginalName[row.variable.originalName];
    if (g) out[row.torchKey] = tf.tidy(() => row.toTorch(g));
  }
  return out;
}

/** One compared tensor: the worst |Δ| relative to max |expected|. */
export interface TensorError { key: string; rel: number; worst: number; scale: number }

/** Everything compared after one recorded step. */
export interface StepComparison {
  step: number;
  /** Relative error of every loss term (and the lr the step used, which must be exact). */
  losses: Array<{ term: string; rel: number; ours: number; expected: number }>;
  /** Which networks' gradients were reported, per phase, in the order reported. */
  reported: { discriminator: string[]; generator: string[] };
  /** Every gradient tensor: `grad_d.<net>.<key>` / `grad_g.<net>.<key>`. */
  grads: TensorError[];
  /** Parameters and buffers after the step: max |Δ| and how many elements exceed each threshold. */
  state: { maxAbs: number; where: string; total: number; above: Record<string, number>; aboveByKey: Record<string, number> };
  /** Adam moments (`adam_d|adam_g.<net>.<param>.exp_avg|exp_avg_sq`), where the fixture records them. */
  moments: TensorError[];
  /** Keys present on one side only (must be empty). */
  missing: string[];
}

const STATE_THRESHOLDS = [2e-6, 5e-6] as const;

async function relError(key: string, actual: tf.Tensor, expected: tf.Tensor): Promise<TensorError> {
  const d = await differenceOfTensors(actual, expected);
  return { key, rel: d.scale > 0 ? d.worst / d.scale : d.worst, worst: d.worst, scale: d.scale };
}

function keyDiff(label: string, ours: string[], expected: string[]): string[] {
  const a = new Set(ours);
  const e = new Set(expected);
  return [...expected.filter((k) => !a.has(k)).map((k) => `${label}: missing ${k}`), ...ours.filter((k) => !e.has(k)).map((k) => `${label}: unexpected ${k}`)];
}

/**
 * Runs the first `steps` recorded steps (default: all) of a training fixture on the current
 * backend and compares losses, gradients, parameters, buffers and (where recorded) Adam moments
 * with the official values. Leaks no tensors.
 */
export async function compareTrainingWithReference(f: TrainingFixture, trainerOptions?: (t: UGATITTrainer) => void, steps = f.config.steps): Promise<StepComparison[]> {
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= f.config.steps)) {
    throw new Error(`${f.name}: steps must be an integer in [1, ${f.config.steps}], received ${steps}`);
  }
  const nets = buildReferenceNetworks(f);
  const trainer = referenceTrainer(f, nets);
  trainerOptions?.(trainer);
  const out: StepComparison[] = [];
  for (let step = 1; step <= steps; step++) {
    const cmp: StepComparison = { step, losses: [], reported: { discriminator: [], generator: [] }, grads: [], state: { maxAbs: 0, where: '', total: 0, above: {}, aboveByKey: {} }, moments: [], missing: [] };
    const realA = toNHWC(f.tensors[`step${step}.real_A`]) as tf.Tensor4D;
    const realB = toNHWC(f.tensors[`step${step}.real_B`]) as tf.Tensor4D;
    // The callback's gradients die with it: keep copies in PyTorch layout and read them after the step.
    const grads: Array<[string, tf.Tensor, tf.Tensor]> = [];
    const result = await trainer.step(realA, realB, {
      onGradients: (phase, byNetwork) => {
        const tag = phase === 'discriminator' ? 'grad_d' : 'grad_g';
        for (const net of Object.keys(byNetwork) as NetworkName[]) {
          cmp.reported[phase].push(net);
          const ours = inTorchLayout(nets[net], byNetwork[net]);
          const expected = withPrefix(f.tensors, `step${step}.${tag}.${net}`);
          cmp.missing.push(...keyDiff(`step${step}.${tag}.${net}`, Object.keys(ours), Object.keys(expected)));
          for (const [key, t] of Object.entries(ours)) {
            if (expected[key]) grads.push([`${tag}.${net}.${key}`, t, expected[key]]);
            else t.dispose();
          }
        }
      },
    });
    tf.dispose([realA, realB]);
    for (const [key, ours, expected] of grads) cmp.grads.push(await relError(key, ours, expected));
    tf.dispose(grads.map(([, ours]) => ours));
    const expectedLosses = f.losses[`step${step}`];
    for (const [term, expected] of Object.entries(expectedLosses)) {
      const ours = term === 'lr' ? result.lr : result.losses[term as keyof StepLosses];
      cmp.losses.push({ term, ours, expected, rel: Math.abs(ours - expected) / Math.abs(expected) });
    }
    cmp.missing.push(...keyDiff(`step${step}.losses`, [...Object.keys(result.losses), ...('lr' in expectedLosses ? ['lr'] : [])], Object.keys(expectedLosses)));
    for (const net of NETWORK_NAMES) {
      const state = exportTorchStateDict(nets[net]);
      const expected = withPrefix(f.tensors, `step${step}.state.${net}`);
      cmp.missing.push(...keyDiff(`step${step}.state.${net}`, Object.keys(state), Object.keys(expected)));
      for (const key of Object.keys(expected)) {
        if (!state[key]) continue;
        const [a, e] = await Promise.all([state[key].data(), expected[key].data()]);
        for (let i = 0; i < e.length; i++) {
          const d = Math.abs(a[i] - e[i]);
          if (!(d <= cmp.state.maxAbs)) { cmp.state.maxAbs = d; cmp.state.where = `${net}.${key}[${i}]`; }
          for (const t of STATE_THRESHOLDS) if (d > t) cmp.state.above[String(t)] = (cmp.state.above[String(t)] ?? 0) + 1;
          if (d > 5e-6) cmp.state.aboveByKey[`${net}.${key}`] = (cmp.state.aboveByKey[`${net}.${key}`] ?? 0) + 1;
        }
        cmp.state.total += e.length;
      }
      tf.dispose(Object.values(state));
    }
    const recorded = Object.keys(f.tensors).some((k) => k.startsWith(`step${step}.adam_`));
    if (recorded) {
      const s = trainer.getState();
      for (const [tag, opt] of [['adam_d', s.discriminatorOptimizer], ['adam_g', s.generatorOptimizer]] as const) {
        for (const net of NETWORK_NAMES) {
          for (const [kind, moments] of [['exp_avg', opt.expAvg], ['exp_avg_sq', opt.expAvgSq]] as const) {
            const ours = inTorchLayout(nets[net], Object.fromEntries(Object.entries(moments).filter(([k]) => k.startsWith(`${net}/`)).map(([k, v]) => [k.slice(net.length + 1), v])));
            const prefix = `step${step}.${tag}.${net}`;
            const expected = Object.fromEntries(Object.entries(withPrefix(f.tensors, prefix)).filter(([k]) => k.endsWith(`.${kind}`)).map(([k, v]) => [k.slice(0, -kind.length - 1), v]));
            if (Object.keys(expected).length === 0) { tf.dispose(Object.values(ours)); continue; }
            cmp.missing.push(...keyDiff(`${prefix}.*.${kind}`, Object.keys(ours), Object.keys(expected)));
            for (const key of Object.keys(expected)) if (ours[key]) cmp.moments.push(await relError(`${tag}.${net}.${key}.${kind}`, ours[key], expected[key]));
            tf.dispose(Object.values(ours));
          }
        }
      }
      disposeTrainerState(s);
    }
    out.push(cmp);
  }
  trainer.dispose();
  disposeNetworks(nets);
  return out;
}
