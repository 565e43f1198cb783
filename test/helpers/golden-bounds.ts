// Bounds of the golden checks and the lines that report what a backend achieved. Free of Node
// APIs: the browser tests apply the same bounds to webgl and webgpu.
import type { BackendName } from './backends';
import { describeDifference } from './golden-compare';
import type { ForwardMeasurements } from './golden-forward';
import type { StepComparison, TrainingFixtureName } from './golden-training';

/**
 * Forward outputs on every backend: within 1e-5 × the tensor's max |value|. Every backend stays
 * under 4.2e-6 on these fixtures (float32 PyTorch: 3e-6, fixture README, whose loosest bracket
 * is 1e-4).
 */
export const FORWARD_BOUND = 1e-5;

/** Failures of one forward fixture: structural problems and tensors beyond `relTol` × their max |value|. */
export function forwardFailures(label: string, m: ForwardMeasurements, relTol = FORWARD_BOUND): string[] {
  if (m.measured.length === 0) return [`${label}: nothing was compared`];
  return [
    ...m.problems.map((p) => `${label}: ${p}`),
    ...m.measured.filter((d) => !(d.worst <= relTol * d.scale)).map((d) => describeDifference(`${label}.${d.label}`, d, relTol * d.scale, relTol)),
  ];
}

const e = (x: number) => x.toExponential(1);

/** What a forward fixture achieved: the worst tensor relative to its max |value|. */
export function forwardSummary(m: ForwardMeasurements): string {
  const worst = m.measured.reduce((w, d) => Math.max(w, d.scale > 0 ? d.worst / d.scale : d.worst), 0);
  return `worst ${e(worst)} of max |value| over ${m.measured.length} tensors`;
}

/** What one training step achieved, in the terms of {@link StepBounds}. */
export function stepSummary(c: StepComparison): string {
  const max = (xs: number[]) => xs.reduce((m, x) => Math.max(m, x), 0);
  const g = c.grads.filter((x) => x.key.startsWith('grad_g'));
  const moments = c.moments.length
    ? `; moments d ${e(max(c.moments.filter((m) => m.key.startsWith('adam_d')).map((m) => m.rel)))}, g ${e(max(c.moments.filter((m) => m.key.startsWith('adam_g')).map((m) => m.rel)))}`
    : '';
  return `step ${c.step}: loss ${e(max(c.losses.filter((l) => l.term !== 'lr').map((l) => l.rel)))}; `
    + `dGrad ${e(max(c.grads.filter((x) => x.key.startsWith('grad_d')).map((x) => x.rel)))}; `
    + `gGrad ${e(max(g.map((x) => x.rel)))} (${g.filter((x) => x.rel > 1e-3).length} above 1e-3); `
    + `state ${e(c.state.maxAbs)} (${c.state.above['0.000005'] ?? 0} above 5e-6 of ${c.state.total})${moments}`;
}

/** The backends the golden training bounds are measured for: Node's and the browser's GPU ones. */
export type GoldenBackend = BackendName | 'webgl' | 'webgpu';

/** What one recorded step must reproduce on one backend. */
export interface StepBounds {
  /** Largest relative error of any loss term. */
  loss: number;
  /** Largest error of any discriminator gradient, relative to that tensor's max |value|. */
  dGrad: number;
  /** Generator gradients: every tensor within `all`, and at most `count` tensors above `most`. */
  gGrad: { all: number; most: number; count: number };
  /** Parameters and buffers after the step: every element within `all`, at most `count` elements above 5e-6. */
  state: { all: number; count: number };
  /** Adam moments after the step, where recorded: discriminators' and generators' (relative to max). */
  moments?: { d: number; g: number };
}

/**
 * The bounds the golden training tests hold, per fixture, backend and step. Each is the
 * measured worst (in the comment) with headroom; the fixture README gives what float32 PyTorch
 * itself reaches. Where a bound is wider than the others it says why.
 *
 * Measured with test/training/reference-step.test.ts's comparison (printed on failure); webgl and
 * webgpu with test/browser's golden suites (printed on every run).
 */
export const GOLDEN_BOUNDS: Record<TrainingFixtureName, Record<GoldenBackend, StepBounds[]>> = {
  'train-step': {
    // cpu: loss 3.5e-7 / 1.9e-7; dGrad 9e-7 / 1.5e-6; gGrad s1 9.2e-6 (0 above 1e-3), s2 3.5e-2 (19 above 1e-3);
    // state s1 2.2e-6 (0 above 5e-6), s2 2.4e-5 (21).
    cpu: [
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 0.1, most: 1e-3, count: 30 }, state: { all: 5e-5, count: 100 } },
    ],
    // wasm: loss 3e-7 / 2.7e-7; dGrad 2.2e-6 / 1.9e-6; gGrad 1.2e-5 / 2e-5; state 3.7e-6 (0) both steps.
    wasm: [
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 5e-5, count: 100 } },
    ],
    // tensorflow (float32 reductions and convolutions, like float32 PyTorch): at step 1 one ReLU
    // of genB2A's second encoder block receives a pre-activation within 1e-5 of zero (the
    // float64 reference and the cpu backend put it just below, TensorFlow's rounding just
    // above), so the gradients of the layers after it differ by up to 2.4e-3 (8 tensors above
    // 1e-3) and Adam moves about seven weights the other way (2e-4 = 2·lr). Loss 1.5e-6 / 1.1e-6;
    // dGrad 1.4e-5 / 6.3e-4 (after the flip); gGrad s2 3.5e-2 (32 above 1e-3); state 2e-4 (7), 2e-4 (55).
    tensorflow: [
      { loss: 5e-6, dGrad: 5e-5, gGrad: { all: 1e-2, most: 1e-3, count: 16 }, state: { all: 3e-4, count: 20 } },
      { loss: 5e-6, dGrad: 2e-3, gGrad: { all: 0.1, most: 1e-3, count: 48 }, state: { all: 3e-4, count: 150 } },
    ],
    // webgl (Chromium's SwiftShader, float32 render targets; test/browser/webgl.test.ts): loss
    // 3.6e-7 / 2.7e-7; dGrad 2.3e-6 / 2e-6; gGrad 1.2e-5 / 1.6e-5; state 4.9e-6 (0) both steps.
    webgl: [
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 5e-5, count: 100 } },
    ],
    // webgpu (Chromium's SwiftShader; test/browser/webgpu.test.ts): loss 2.5e-7 / 2.7e-7; dGrad
    // 3.1e-6 / 2e-6; gGrad s1 1.3e-5, s2 4.8e-3 (10 above 1e-3, the generator gradients that
    // also spread on cpu at step 2); state s1 6.2e-6 (1 above 5e-6), s2 2e-5 (5).
    webgpu: [
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 2e-5, count: 5 } },
      { loss: 2e-6, dGrad: 1e-5, gGrad: { all: 2e-2, most: 1e-3, count: 20 }, state: { all: 5e-5, count: 100 } },
    ],
  },
  'train-step-full': {
    // cpu: loss ≤ 6e-7; dGrad ≤ 4.9e-6; gGrad s1 2.2e-5, s2 5.2e-3 (4 above 1e-3), s3 6.4e-2 (21);
    // state 1.1e-6 (0), 1.1e-5 (4), 1e-4 (301); moments d 2.5e-6, g 5.2e-2.
    cpu: [
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 2e-2, most: 1e-3, count: 12 }, state: { all: 5e-5, count: 20 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 0.2, most: 1e-3, count: 40 }, state: { all: 2e-4, count: 700 }, moments: { d: 2e-5, g: 0.2 } },
    ],
    // wasm: loss ≤ 3.6e-7; dGrad 2.1e-6, 3.9e-6, then 5.3e-4 (disLA, whose fakes come from the
    // step-2 generators); gGrad 3.5e-5, 2.1e-5, 1.4e-4; state 4.8e-6 (0) at every step;
    // moments d 3.7e-4, g 1.2e-4.
    wasm: [
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 5e-5, count: 20 } },
      { loss: 2e-6, dGrad: 2e-3, gGrad: { all: 1e-3, most: 1e-3, count: 0 }, state: { all: 2e-4, count: 700 }, moments: { d: 2e-3, g: 1e-3 } },
    ],
    // tensorflow: loss ≤ 9.5e-7; dGrad ≤ 7e-6; gGrad 6.7e-5, 1.5e-3 (6 above 1e-3), 3.6e-2 (44);
    // state 2.8e-6 (0), 8.4e-6 (1), 9.9e-5 (376); moments d 3.4e-6, g 2.8e-2.
    tensorflow: [
      { loss: 3e-6, dGrad: 2e-5, gGrad: { all: 2e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 3e-6, dGrad: 2e-5, gGrad: { all: 1e-2, most: 1e-3, count: 16 }, state: { all: 5e-5, count: 20 } },
      { loss: 3e-6, dGrad: 2e-5, gGrad: { all: 0.2, most: 1e-3, count: 56 }, state: { all: 2e-4, count: 900 }, moments: { d: 2e-5, g: 0.2 } },
    ],
    // webgl: loss ≤ 3.6e-7; dGrad 1.6e-6, 3.3e-6, 5.3e-4 (disLA, as on wasm); gGrad 2e-5, 9.4e-4
    // (0 above 1e-3), 1.3e-2 (21: the spread cpu and tensorflow show at step 3 too); state 5e-6 (1),
    // 2.2e-5 (3), 9.9e-5 (253); moments d 3.7e-4, g 1.2e-2.
    webgl: [
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-2, most: 1e-3, count: 6 }, state: { all: 5e-5, count: 20 } },
      { loss: 2e-6, dGrad: 2e-3, gGrad: { all: 0.05, most: 1e-3, count: 40 }, state: { all: 2e-4, count: 700 }, moments: { d: 2e-3, g: 0.05 } },
    ],
    // webgpu: loss ≤ 2.4e-7; dGrad 1.6e-6, 3.4e-6, 4.7e-6; gGrad 2e-5, 1.7e-5, 4e-5; state 2.8e-6
    // (0) at every step; moments d 2.4e-6, g 3.7e-5. By default only step 1 runs there (webgpu.test.ts).
    webgpu: [
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 1e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 } },
      { loss: 2e-6, dGrad: 2e-5, gGrad: { all: 2e-4, most: 1e-3, count: 0 }, state: { all: 1e-5, count: 5 }, moments: { d: 2e-5, g: 2e-4 } },
    ],
  },
};

const NETWORKS = { discriminator: ['disGA', 'disLA', 'disGB', 'disLB'], generator: ['genA2B', 'genB2A'] };

/**
 * Every way the comparison of one step breaks its bounds, as readable lines (empty: within
 * bounds). Also requires every loss term, gradient, state entry and moment to be present, and
 * the gradient callback to have reported each network of each phase.
 */
export function boundViolations(c: StepComparison, b: StepBounds): string[] {
  const out: string[] = [];
  const at = `step ${c.step}`;
  out.push(...c.missing.map((m) => `${at}: ${m}`));
  for (const phase of ['discriminator', 'generator'] as const) {
    if ([...c.reported[phase]].sort().join() !== [...NETWORKS[phase]].sort().join()) {
      out.push(`${at}: the ${phase} gradient callback reported [${c.reported[phase]}], expected [${NETWORKS[phase]}]`);
    }
  }
  for (const l of c.losses) {
    const bound = l.term === 'lr' ? 1e-12 : b.loss;
    if (!(l.rel <= bound)) out.push(`${at}: ${l.term} ${l.ours} vs ${l.expected} (relative error ${l.rel.toExponential(2)} > ${bound})`);
  }
  const grads = (prefix: string) => c.grads.filter((g) => g.key.startsWith(prefix));
  if (grads('grad_d').length === 0 || grads('grad_g').length === 0) out.push(`${at}: no gradients compared`);
  for (const g of grads('grad_d')) if (!(g.rel <= b.dGrad)) out.push(`${at}: ${g.key} off by ${g.rel.toExponential(2)} of its max (> ${b.dGrad})`);
  for (const g of grads('grad_g')) if (!(g.rel <= b.gGrad.all)) out.push(`${at}: ${g.key} off by ${g.rel.toExponential(2)} of its max (> ${b.gGrad.all})`);
  const loose = grads('grad_g').filter((g) => g.rel > b.gGrad.most);
  if (loose.length > b.gGrad.count) {
    out.push(`${at}: ${loose.length} generator gradients off by more than ${b.gGrad.most} of their max (at most ${b.gGrad.count}): ${loose.map((g) => g.key).join(', ')}`);
  }
  if (c.state.total === 0) out.push(`${at}: no state compared`);
  if (!(c.state.maxAbs <= b.state.all)) out.push(`${at}: state ${c.state.where} off by ${c.state.maxAbs.toExponential(2)} (> ${b.state.all})`);
  const above = c.state.above['0.000005'] ?? 0;
  if (above > b.state.count) {
    const where = Object.entries(c.state.aboveByKey).sort((x, y) => y[1] - x[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ');
    out.push(`${at}: ${above} of ${c.state.total} state elements off by more than 5e-6 (at most ${b.state.count}); most in ${where}`);
  }
  if (b.moments) {
    if (c.moments.length === 0) out.push(`${at}: no Adam moments compared`);
    for (const m of c.moments) {
      const bound = m.key.startsWith('adam_d') ? b.moments.d : b.moments.g;
      if (!(m.rel <= bound)) out.push(`${at}: ${m.key} off by ${m.rel.toExponential(2)} of its max (> ${bound})`);
    }
  }
  return out;
}
