import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ensureWasmFastConvBackpropInput } from '../backends/wasm-conv-backprop-input';
import { ensureWasmFastConv2D } from '../backends/wasm-conv2d';
import { ensureWasmPreciseReductions } from '../backends/wasm-precise-reductions';
import { UgatitConfigError } from '../errors';
import { bceWithLogitsLoss } from '../losses/bce-with-logits';
import { l1Loss } from '../losses/l1';
import { mseLoss } from '../losses/mse';
import { DEFAULT_LOSS_WEIGHTS, type LossWeights } from '../losses/objective';
import { TorchAdam, type TorchAdamState } from './adam';
import { clipRhoWeights } from './rho-clip';

/** The six networks of U-GAT-IT, as the reference names them. */
export interface UGATITNetworks {
  /** Generator A → B. */
  genA2B: tfl.LayersModel;
  /** Generator B → A. */
  genB2A: tfl.LayersModel;
  /** Global discriminator of domain A (7 layers in the reference). */
  disGA: tfl.LayersModel;
  /** Global discriminator of domain B. */
  disGB: tfl.LayersModel;
  /** Local discriminator of domain A (5 layers). */
  disLA: tfl.LayersModel;
  /** Local discriminator of domain B. */
  disLB: tfl.LayersModel;
}

/** Name of one of the six networks. */
export type NetworkName = keyof UGATITNetworks;

/** The six network names in the reference's order. */
export const NETWORK_NAMES: readonly NetworkName[] = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'];
const GENERATORS: readonly NetworkName[] = ['genA2B', 'genB2A'];
const DISCRIMINATORS: readonly NetworkName[] = ['disGA', 'disGB', 'disLA', 'disLB'];

/** Options of {@link UGATITTrainer}; defaults are the reference's. */
export interface TrainerOptions {
  /** Initial learning rate of both optimizers. Default 1e-4. */
  lr?: number;
  /** Adam betas. Default [0.5, 0.999]. */
  betas?: readonly [number, number];
  /** Coupled L2 weight decay on every parameter. Default 1e-4. */
  weightDecay?: number;
  /** Adam eps. Default 1e-8 (PyTorch's). */
  eps?: number;
  /**
   * Total iterations planned; the learning rate decays linearly to 0 over the second half
   * (`lr −= lr0 / floor(iterations / 2)` at every step past `floor(iterations / 2)`, never below 0).
   * Default 1 000 000.
   */
  iterations?: number;
  /** Linear learning-rate decay over the second half of `iterations`. Default true. */
  decay?: boolean;
  /** Weight of the adversarial terms. Default 1. */
  advWeight?: number;
  /** Weight of the cycle terms. Default 10. */
  cycleWeight?: number;
  /** Weight of the identity terms. Default 10. */
  identityWeight?: number;
  /** Weight of the CAM terms. Default 1000. */
  camWeight?: number;
  /**
   * Parts to keep fixed while fine-tuning, matched against `<network>/<layer>` (e.g.
   * `'disGA'` freezes a whole network, `/^gen(A2B|B2A)\/(stem|down_|enc_res_)/` both encoders).
   * A string matches as a prefix. Frozen layers keep their trainable weights; a frozen
   * discriminator still advances its spectral-norm `u`, `v` in training mode, as the reference's
   * `requires_grad = False` modules do.
   */
  freeze?: ReadonlyArray<string | RegExp>;
}

/** Every loss term of one iteration, as numbers, named as the reference logs them. */
export interface StepLosses {
  /** Total discriminator loss (both domains, weighted). */
  D_loss: number;
  /** Total generator loss (both domains, weighted). */
  G_loss: number;
  /** LSGAN loss of the global discriminator of domain A on real A and fake A images. */
  D_GA: number;
  /** LSGAN loss of the CAM logit of the global discriminator of domain A. */
  D_GA_cam: number;
  /** LSGAN loss of the local discriminator of domain A on real A and fake A images. */
  D_LA: number;
  /** LSGAN loss of the CAM logit of the local discriminator of domain A. */
  D_LA_cam: number;
  /** LSGAN loss of the global discriminator of domain B on real B and fake B images. */
  D_GB: number;
  /** LSGAN loss of the CAM logit of the global discriminator of domain B. */
  D_GB_cam: number;
  /** LSGAN loss of the local discriminator of domain B on real B and fake B images. */
  D_LB: number;
  /** LSGAN loss of the CAM logit of the local discriminator of domain B. */
  D_LB_cam: number;
  /** Adversarial (LSGAN) loss of the generator producing domain A, against the global discriminator. */
  G_ad_GA: number;
  /** Adversarial loss of the same generator against that discriminator's CAM logit. */
  G_ad_GA_cam: number;
  /** Adversarial (LSGAN) loss of the generator producing domain A, against the local discriminator. */
  G_ad_LA: number;
  /** Adversarial loss of the same generator against that discriminator's CAM logit. */
  G_ad_LA_cam: number;
  /** Adversarial (LSGAN) loss of the generator producing domain B, against the global discriminator. */
  G_ad_GB: number;
  /** Adversarial loss of the same generator against that discriminator's CAM logit. */
  G_ad_GB_cam: number;
  /** Adversarial (LSGAN) loss of the generator producing domain B, against the local discriminator. */
  G_ad_LB: number;
  /** Adversarial loss of the same generator against that discriminator's CAM logit. */
  G_ad_LB_cam: number;
  /** Cycle L1 loss: A → B → A against the real A image. */
  G_recon_A: number;
  /** Cycle L1 loss: B → A → B against the real B image. */
  G_recon_B: number;
  /** Identity L1 loss: the generator producing A applied to a real A image. */
  G_identity_A: number;
  /** Identity L1 loss: the generator producing B applied to a real B image. */
  G_identity_B: number;
  /** CAM (BCE) loss of the generator producing A: its auxiliary classifier tells B inputs (1) from A inputs (0). */
  G_cam_A: number;
  /** CAM (BCE) loss of the generator producing B: its auxiliary classifier tells A inputs (1) from B inputs (0). */
  G_cam_B: number;
}

/** Result of {@link UGATITTrainer.step}. */
export interface StepResult {
  /** The iteration just completed, counted from 1. */
  iteration: number;
  /** Learning rate used in this iteration. */
  lr: number;
  /** Every loss term. */
  losses: StepLosses;
  /** Wall-clock seconds the iteration took. */
  seconds: number;
}

/** Options of one {@link UGATITTrainer.step}. */
export interface StepOptions {
  /**
   * Receives the raw gradients (before weight decay) of the D and G losses, keyed by network
   * then by the weight's original name (`layer/weight`). They are disposed after the call.
   */
  onGradients?: (phase: 'discriminator' | 'generator', grads: Record<NetworkName, tf.NamedTensorMap>) => void;
}

/** Resumable state of a trainer apart from the networks' weights. */
export interface TrainerState {
  /** Iterations completed. */
  iteration: number;
  /** Current learning rate. */
  lr: number;
  /** Generator optimizer state, keyed `<network>/<weight>`. */
  generatorOptimizer: TorchAdamState;
  /** Discriminator optimizer state, keyed `<network>/<weight>`. */
  discriminatorOptimizer: TorchAdamState;
}

interface TrainableEntry {
  network: NetworkName;
  key: string;
  variable: tf.Variable;
}

/**
 * Optimizer state with its keys renamed: between the variables' engine names (unique per
 * process) and the stable `<network>/<weight>` names a checkpoint stores. Unknown keys stay.
 */
function renameAdamState(state: TorchAdamState, names: Map<string, string>): TorchAdamState {
  const rename = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [names.get(k) ?? k, v]));
  return { steps: rename(state.steps), expAvg: rename(state.expAvg), expAvgSq: rename(state.expAvgSq) };
}

type Outputs = [tf.Tensor, tf.Tensor, tf.Tensor];

/**
 * Trains U-GAT-IT's six networks exactly as the official PyTorch `UGATIT.train()` does, one
 * iteration per {@link UGATITTrainer.step}: learning-rate decay, the discriminator step, the
 * generator step, then ρ clipped to [0, 1]. Adam has PyTorch's semantics (eps 1e-8, coupled
 * weight decay). The networks are updated in place.
 *
 * @example
 * ```ts
 * const trainer = new UGATITTrainer({ genA2B, genB2A, disGA, disGB, disLA, disLB }, { iterations: 10_000 });
 * const { losses } = await trainer.step(realA, realB);
 * console.log(losses.D_loss, losses.G_loss);
 * ```
 */
export class UGATITTrainer {
  /** The networks being trained. */
  readonly networks: UGATITNetworks;
  /** Loss weights in use. */
  readonly weights: LossWeights;
  /** Total iterations planned (for the decay schedule). */
  readonly iterations: number;
  /** Whether the learning rate decays over the second half. */
  readonly decay: boolean;
  /** Initial learning rate (the decay step is `initialLr / (iterations / 2)`). */
  readonly initialLr: number;
  private iterationCount = 0;
  private readonly gEntries: TrainableEntry[];
  private readonly dEntries: TrainableEntry[];
  private readonly gOptimizer: TorchAdam;
  private readonly dOptimizer: TorchAdam;

  constructor(networks: UGATITNetworks, options: TrainerOptions = {}) {
    for (const name of NETWORK_NAMES) {
      if (!networks[name] || typeof networks[name].apply !== 'function') {
        throw new UgatitConfigError(`UGATITTrainer: networks.${name} must be a tf.LayersModel, received ${String(networks[name])}`);
      }
    }
    this.networks = { ...networks };
    this.initialLr = options.lr ?? 1e-4;
    this.iterations = options.iterations ?? 1_000_000;
    this.decay = options.decay ?? true;
    if (!(Number.isInteger(this.iterations) && this.iterations >= 1)) {
      throw new UgatitConfigError(`UGATITTrainer: iterations must be a positive integer, received ${options.iterations}`);
    }
    this.weights = {
      adv: options.advWeight ?? DEFAULT_LOSS_WEIGHTS.adv,
      cycle: options.cycleWeight ?? DEFAULT_LOSS_WEIGHTS.cycle,
      identity: options.identityWeight ?? DEFAULT_LOSS_WEIGHTS.identity,
      cam: options.camWeight ?? DEFAULT_LOSS_WEIGHTS.cam,
    };
    for (const [k, v] of Object.entries(this.weights)) {
      if (!(Number.isFinite(v) && v >= 0)) throw new UgatitConfigError(`UGATITTrainer: ${k}Weight must be a finite number ≥ 0, received ${v}`);
    }
    const frozen = (network: NetworkName, layer: string) => (options.freeze ?? []).some((p) =>
      typeof p === 'string' ? `${network}/${layer}`.startsWith(p) : p.test(`${network}/${layer}`));
    const entries = (names: readonly NetworkName[]) => names.flatMap((network) =>
      this.networks[network].layers.flatMap((layer) => (frozen(network, layer.name) ? [] : layer.trainableWeights
        .map((w) => ({ network, key: `${network}/${w.originalName}`, variable: w.read() as tf.Variable })))));
    this.gEntries = entries(GENERATORS);
    this.dEntries = entries(DISCRIMINATORS);
    const adam = { lr: this.initialLr, betas: options.betas ?? [0.5, 0.999] as const, eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 1e-4 };
    this.gOptimizer = new TorchAdam(this.gEntries.map((e) => e.variable), adam);
    this.dOptimizer = new TorchAdam(this.dEntries.map((e) => e.variable), adam);
  }

  /** Iterations completed so far. */
  get iteration(): number {
    return this.iterationCount;
  }

  /** The learning rate the next iteration starts from (before its decay step). */
  get lr(): number {
    return this.gOptimizer.lr;
  }

  /** Overrides the learning rate of both optimizers (e.g. for fine-tuning). */
  set lr(value: number) {
    this.gOptimizer.lr = value;
    this.dOptimizer.lr = value;
  }

  /**
   * One reference iteration on a batch of each domain.
   *
   * @param realA - `[N, S, S, C]` in [−1, 1].
   * @param realB - `[N, S, S, C]` in [−1, 1].
   * @returns every loss term and the D and G totals. Leaks no tensors.
   */
  async step(realA: tf.Tensor4D, realB: tf.Tensor4D, options: StepOptions = {}): Promise<StepResult> {
    const started = Date.now();
    ensureWasmPreciseReductions();
    ensureWasmFastConvBackpropInput();
    ensureWasmFastConv2D();
    if (realA.rank !== 4 || realB.rank !== 4) {
      throw new UgatitConfigError(`UGATITTrainer.step: realA and realB must be [N, S, S, C], received [${realA.shape}] and [${realB.shape}]`);
    }
    const step = this.iterationCount + 1;
    const half = Math.floor(this.iterations / 2);
    // Repeated subtraction rounds, and an odd `iterations` takes one decrement more than the
    // reference's `iteration // 2` divisor allows: both would end slightly below 0 (the reference
    // then steps with a negative lr), so the schedule stops at 0.
    if (this.decay && half > 0 && step > half) this.lr = Math.max(0, this.lr - this.initialLr / half);
    const lr = this.lr;
    const { genA2B, genB2A, disGA, disGB, disLA, disLB } = this.networks;
    const run = (model: tfl.LayersModel, x: tf.Tensor) => model.apply(x, { training: true }) as unknown as Outputs;

    // Discriminator step. The fakes need no gradient: only the discriminators are stepped.
    const dTerms: Record<string, tf.Scalar> = {};
    const [fakeA2B, fakeB2A] = tf.tidy(() => [run(genA2B, realA)[0], run(genB2A, realB)[0]]);
    const dGrads = tf.variableGrads(() => {
      const realGA = run(disGA, realA); const realLA = run(disLA, realA);
      const realGB = run(disGB, realB); const realLB = run(disLB, realB);
      const fakeGA = run(disGA, fakeB2A); const fakeLA = run(disLA, fakeB2A);
      const fakeGB = run(disGB, fakeA2B); const fakeLB = run(disLB, fakeA2B);
      const pair = (real: tf.Tensor, fake: tf.Tensor) => tf.add(mseLoss(real, 1), mseLoss(fake, 0)) as tf.Scalar;
      const terms: Record<string, tf.Scalar> = {
        D_GA: pair(realGA[0], fakeGA[0]), D_GA_cam: pair(realGA[1], fakeGA[1]),
        D_LA: pair(realLA[0], fakeLA[0]), D_LA_cam: pair(realLA[1], fakeLA[1]),
        D_GB: pair(realGB[0], fakeGB[0]), D_GB_cam: pair(realGB[1], fakeGB[1]),
        D_LB: pair(realLB[0], fakeLB[0]), D_LB_cam: pair(realLB[1], fakeLB[1]),
      };
      const adv = this.weights.adv;
      const lossA = tf.mul(adv, tf.addN([terms.D_GA, terms.D_GA_cam, terms.D_LA, terms.D_LA_cam]));
      const lossB = tf.mul(adv, tf.addN([terms.D_GB, terms.D_GB_cam, terms.D_LB, terms.D_LB_cam]));
      for (const [k, v] of Object.entries(terms)) dTerms[k] = tf.keep(v);
      return tf.add(lossA, lossB) as tf.Scalar;
    }, this.dEntries.map((e) => e.variable));
    tf.dispose([fakeA2B, fakeB2A]);
    this.report('discriminator', this.dEntries, dGrads.grads, options);
    this.dOptimizer.applyGradients(dGrads.grads);

    // Generator step, through the just-updated discriminators.
    const gTerms: Record<string, tf.Scalar> = {};
    const gGrads = tf.variableGrads(() => {
      const fA2B = run(genA2B, realA); const fB2A = run(genB2A, realB);
      const fA2B2A = run(genB2A, fA2B[0]); const fB2A2B = run(genA2B, fB2A[0]);
      const fA2A = run(genB2A, realA); const fB2B = run(genA2B, realB);
      const fakeGA = run(disGA, fB2A[0]); const fakeLA = run(disLA, fB2A[0]);
      const fakeGB = run(disGB, fA2B[0]); const fakeLB = run(disLB, fA2B[0]);
      const terms: Record<string, tf.Scalar> = {
        G_ad_GA: mseLoss(fakeGA[0], 1), G_ad_GA_cam: mseLoss(fakeGA[1], 1),
        G_ad_LA: mseLoss(fakeLA[0], 1), G_ad_LA_cam: mseLoss(fakeLA[1], 1),
        G_ad_GB: mseLoss(fakeGB[0], 1), G_ad_GB_cam: mseLoss(fakeGB[1], 1),
        G_ad_LB: mseLoss(fakeLB[0], 1), G_ad_LB_cam: mseLoss(fakeLB[1], 1),
        G_recon_A: l1Loss(fA2B2A[0], realA), G_recon_B: l1Loss(fB2A2B[0], realB),
        G_identity_A: l1Loss(fA2A[0], realA), G_identity_B: l1Loss(fB2B[0], realB),
        G_cam_A: tf.add(bceWithLogitsLoss(fB2A[1], 1), bceWithLogitsLoss(fA2A[1], 0)) as tf.Scalar,
        G_cam_B: tf.add(bceWithLogitsLoss(fA2B[1], 1), bceWithLogitsLoss(fB2B[1], 0)) as tf.Scalar,
      };
      const w = this.weights;
      const domain = (d: 'A' | 'B', g: 'GA' | 'GB', l: 'LA' | 'LB') => tf.addN([
        tf.mul(w.adv, tf.addN([terms[`G_ad_${g}`], terms[`G_ad_${g}_cam`], terms[`G_ad_${l}`], terms[`G_ad_${l}_cam`]])),
        tf.mul(w.cycle, terms[`G_recon_${d}`]),
        tf.mul(w.identity, terms[`G_identity_${d}`]),
        tf.mul(w.cam, terms[`G_cam_${d}`]),
      ]);
      for (const [k, v] of Object.entries(terms)) gTerms[k] = tf.keep(v);
      return tf.add(domain('A', 'GA', 'LA'), domain('B', 'GB', 'LB')) as tf.Scalar;
    }, this.gEntries.map((e) => e.variable));
    this.report('generator', this.gEntries, gGrads.grads, options);
    this.gOptimizer.applyGradients(gGrads.grads);
    clipRhoWeights(genA2B);
    clipRhoWeights(genB2A);

    const names = [...Object.keys(dTerms), ...Object.keys(gTerms)];
    const scalars = [...Object.values(dTerms), ...Object.values(gTerms), dGrads.value, gGrads.value];
    const values = await Promise.all(scalars.map((s) => s.data()));
    tf.dispose([scalars, dGrads.grads, gGrads.grads] as unknown as tf.Tensor[]);
    const losses = Object.fromEntries(names.map((n, i) => [n, values[i][0]])) as unknown as StepLosses;
    losses.D_loss = values[names.length][0];
    losses.G_loss = values[names.length + 1][0];
    this.iterationCount = step;
    return { iteration: step, lr, losses, seconds: (Date.now() - started) / 1000 };
  }

  private report(phase: 'discriminator' | 'generator', entries: TrainableEntry[], grads: tf.NamedTensorMap, options: StepOptions): void {
    if (!options.onGradients) return;
    const byNetwork = {} as Record<NetworkName, tf.NamedTensorMap>;
    for (const e of entries) {
      const g = grads[e.variable.name];
      if (g) (byNetwork[e.network] ??= {})[e.key.slice(e.network.length + 1)] = g;
    }
    options.onGradients(phase, byNetwork);
  }

  /**
   * The optimizers' state and the schedule position, keyed by stable `<network>/<weight>`
   * names. The caller owns the returned tensors. Weights are saved separately (the networks).
   */
  getState(): TrainerState {
    const rekey = (state: TorchAdamState, entries: TrainableEntry[]) =>
      renameAdamState(state, new Map(entries.map((e) => [e.variable.name, e.key])));
    return {
      iteration: this.iterationCount,
      lr: this.lr,
      generatorOptimizer: rekey(this.gOptimizer.getState(), this.gEntries),
      discriminatorOptimizer: rekey(this.dOptimizer.getState(), this.dEntries),
    };
  }

  /** Restores what {@link UGATITTrainer.getState} returned (tensors are copied, not taken). */
  setState(state: TrainerState): void {
    if (!(Number.isInteger(state.iteration) && state.iteration >= 0)) {
      throw new UgatitConfigError(`UGATITTrainer.setState: iteration must be a non-negative integer, received ${state.iteration}`);
    }
    const rekey = (s: TorchAdamState, entries: TrainableEntry[]) =>
      renameAdamState(s, new Map(entries.map((e) => [e.key, e.variable.name])));
    this.gOptimizer.setState(rekey(state.generatorOptimizer, this.gEntries));
    this.dOptimizer.setState(rekey(state.discriminatorOptimizer, this.dEntries));
    this.iterationCount = state.iteration;
    this.lr = state.lr;
  }

  /** Frees the optimizers' state (not the networks). */
  dispose(): void {
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
  }
}
