import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { wasmTrainingKernelsInstalled } from '../backends/wasm-training';
import { UGATITConfigError } from '../errors';
import { camDiscriminatorLoss, camGeneratorLoss } from '../losses/cam';
import { lsganDiscriminatorLoss, lsganGeneratorLoss } from '../losses/lsgan';
import {
  resolveLossWeights, ugatitDiscriminatorObjective, ugatitGeneratorObjective,
  type DiscriminatorLossTerms, type GeneratorLossTerms, type LossWeights,
} from '../losses/objective';
import { cycleLoss, identityLoss } from '../losses/reconstruction';
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

/** `tf.keep` for every tensor in a nested object of loss terms, so they outlive the gradient scope. */
function keepAll<T extends object>(terms: T): T {
  for (const value of Object.values(terms)) {
    if (value instanceof tf.Tensor) tf.keep(value);
    else keepAll(value as object);
  }
  return terms;
}

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
        throw new UGATITConfigError(`UGATITTrainer: networks.${name} must be a tf.LayersModel, received ${String(networks[name])}`);
      }
    }
    this.networks = { ...networks };
    this.initialLr = options.lr ?? 1e-4;
    this.iterations = options.iterations ?? 1_000_000;
    this.decay = options.decay ?? true;
    if (!(Number.isInteger(this.iterations) && this.iterations >= 1)) {
      throw new UGATITConfigError(`UGATITTrainer: iterations must be a positive integer, received ${options.iterations}`);
    }
    const given = { adv: options.advWeight, cycle: options.cycleWeight, identity: options.identityWeight, cam: options.camWeight };
    this.weights = resolveLossWeights(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
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
    if (realA.rank !== 4 || realB.rank !== 4 || !tf.util.arraysEqual(realA.shape.slice(1), realB.shape.slice(1))) {
      throw new UGATITConfigError(`UGATITTrainer.step: realA and realB must be [N, S, S, C] of one image size, received [${realA.shape}] and [${realB.shape}]`);
    }
    if (tf.getBackend() === 'wasm' && !wasmTrainingKernelsInstalled()) {
      throw new UGATITConfigError("UGATITTrainer.step: training on wasm needs the kernels it lacks and float64 reductions: call installWasmTrainingKernels() from 'ugatit-tf/backends' once, after importing @tensorflow/tfjs-backend-wasm");
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
    let dTerms: DiscriminatorLossTerms | undefined;
    const [fakeA2B, fakeB2A] = tf.tidy(() => [run(genA2B, realA)[0], run(genB2A, realB)[0]]);
    const dGrads = tf.variableGrads(() => {
      // Each discriminator judges the real images first, then the fakes: its spectral-norm u
      // advances once per call, in the reference's order.
      const judge = (d: tfl.LayersModel, real: tf.Tensor, fake: tf.Tensor) => {
        const [realLogit, realCam] = run(d, real);
        const [fakeLogit, fakeCam] = run(d, fake);
        return { patch: lsganDiscriminatorLoss(realLogit, fakeLogit), cam: camDiscriminatorLoss(realCam, fakeCam) };
      };
      const [ga, la, gb, lb] = [judge(disGA, realA, fakeB2A), judge(disLA, realA, fakeB2A), judge(disGB, realB, fakeA2B), judge(disLB, realB, fakeA2B)];
      const terms: DiscriminatorLossTerms = {
        A: { global: ga.patch, globalCam: ga.cam, local: la.patch, localCam: la.cam },
        B: { global: gb.patch, globalCam: gb.cam, local: lb.patch, localCam: lb.cam },
      };
      dTerms = keepAll(terms);
      return ugatitDiscriminatorObjective(terms, this.weights);
    }, this.dEntries.map((e) => e.variable));
    tf.dispose([fakeA2B, fakeB2A]);
    this.report('discriminator', this.dEntries, dGrads.grads, options);
    this.dOptimizer.applyGradients(dGrads.grads);

    // Generator step, through the just-updated discriminators. The generators treat every image
    // of a batch on its own (instance and layer statistics, γ/β per image), so each runs once
    // on both of its real inputs: the translation of one domain and the identity of the other.
    let gTerms: GeneratorLossTerms | undefined;
    const gGrads = tf.variableGrads(() => {
      const [a2b, b2b] = twice(genA2B, realA, realB);
      const [b2a, a2a] = twice(genB2A, realB, realA);
      const a2b2a = run(genB2A, a2b.image);
      const b2a2b = run(genA2B, b2a.image);
      const fool = (d: tfl.LayersModel, fake: tf.Tensor) => {
        const [logit, cam] = run(d, fake);
        return { patch: lsganGeneratorLoss(logit), cam: lsganGeneratorLoss(cam) };
      };
      const [ga, la, gb, lb] = [fool(disGA, b2a.image), fool(disLA, b2a.image), fool(disGB, a2b.image), fool(disLB, a2b.image)];
      const terms: GeneratorLossTerms = {
        A: {
          adversarial: { global: ga.patch, globalCam: ga.cam, local: la.patch, localCam: la.cam },
          cycle: cycleLoss(a2b2a[0], realA), identity: identityLoss(a2a.image, realA), cam: camGeneratorLoss(b2a.camLogit, a2a.camLogit),
        },
        B: {
          adversarial: { global: gb.patch, globalCam: gb.cam, local: lb.patch, localCam: lb.cam },
          cycle: cycleLoss(b2a2b[0], realB), identity: identityLoss(b2b.image, realB), cam: camGeneratorLoss(a2b.camLogit, b2b.camLogit),
        },
      };
      gTerms = keepAll(terms);
      return ugatitGeneratorObjective(terms, this.weights);

      function twice(g: tfl.LayersModel, first: tf.Tensor4D, second: tf.Tensor4D) {
        const [image, camLogit] = run(g, tf.concat([first, second]));
        const sizes = [first.shape[0], second.shape[0]];
        const [i1, i2] = tf.split(image, sizes);
        const [c1, c2] = tf.split(camLogit, sizes);
        return [{ image: i1!, camLogit: c1! }, { image: i2!, camLogit: c2! }];
      }
    }, this.gEntries.map((e) => e.variable));
    this.report('generator', this.gEntries, gGrads.grads, options);
    this.gOptimizer.applyGradients(gGrads.grads);
    clipRhoWeights(genA2B);
    clipRhoWeights(genB2A);

    const d = dTerms!;
    const g = gTerms!;
    const named: Record<keyof StepLosses, tf.Scalar> = {
      D_loss: dGrads.value, G_loss: gGrads.value,
      D_GA: d.A.global, D_GA_cam: d.A.globalCam, D_LA: d.A.local, D_LA_cam: d.A.localCam,
      D_GB: d.B.global, D_GB_cam: d.B.globalCam, D_LB: d.B.local, D_LB_cam: d.B.localCam,
      G_ad_GA: g.A.adversarial.global, G_ad_GA_cam: g.A.adversarial.globalCam, G_ad_LA: g.A.adversarial.local, G_ad_LA_cam: g.A.adversarial.localCam,
      G_ad_GB: g.B.adversarial.global, G_ad_GB_cam: g.B.adversarial.globalCam, G_ad_LB: g.B.adversarial.local, G_ad_LB_cam: g.B.adversarial.localCam,
      G_recon_A: g.A.cycle, G_recon_B: g.B.cycle, G_identity_A: g.A.identity, G_identity_B: g.B.identity, G_cam_A: g.A.cam, G_cam_B: g.B.cam,
    };
    const names = Object.keys(named) as Array<keyof StepLosses>;
    const stacked = tf.stack(names.map((n) => named[n]));
    tf.dispose([Object.values(named), dGrads.grads, gGrads.grads] as unknown as tf.Tensor[]);
    const values = await stacked.data();
    stacked.dispose();
    const losses = Object.fromEntries(names.map((n, i) => [n, values[i]])) as unknown as StepLosses;
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
      throw new UGATITConfigError(`UGATITTrainer.setState: iteration must be a non-negative integer, received ${state.iteration}`);
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
