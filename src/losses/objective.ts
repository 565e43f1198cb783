import * as tf from '@tensorflow/tfjs-core';

import { UGATITConfigError } from '../errors';

/** Weights of the four kinds of loss term in U-GAT-IT's objectives. */
export interface LossWeights {
  /** Weight of every adversarial term (patch and CAM logits, both discriminator scales). Default 1. */
  adv: number;
  /** Weight of the cycle-consistency L1 terms. Default 10. */
  cycle: number;
  /** Weight of the identity L1 terms. Default 10. */
  identity: number;
  /** Weight of the generators' CAM BCE terms. Default 1000. */
  cam: number;
}

/** The reference's weights: adversarial 1, cycle 10, identity 10, CAM 1000. */
export const DEFAULT_LOSS_WEIGHTS: Readonly<LossWeights> = Object.freeze({
  adv: 1,
  cycle: 10,
  identity: 10,
  cam: 1000,
});

// Object types rather than interfaces, so that terms can be returned from `tf.tidy` (a
// `TensorContainer` needs an index signature, which interfaces never get implicitly).

/**
 * The four adversarial scalars about one domain: one per discriminator judging it (global and
 * local) and per output of that discriminator (patch logit and CAM logit).
 */
export type AdversarialTerms = {
  /** On the global discriminator's patch logits (reference `*_ad_loss_GA`). */
  global: tf.Scalar;
  /** On the global discriminator's CAM logits (reference `*_ad_cam_loss_GA`). */
  globalCam: tf.Scalar;
  /** On the local discriminator's patch logits (reference `*_ad_loss_LA`). */
  local: tf.Scalar;
  /** On the local discriminator's CAM logits (reference `*_ad_cam_loss_LA`). */
  localCam: tf.Scalar;
};

/**
 * Terms of the discriminators' objective, grouped by the domain the discriminators judge:
 * `A` holds D_GA and D_LA on (real A, fake B2A), `B` holds D_GB and D_LB on (real B, fake
 * A2B). Each term is an `lsganDiscriminatorLoss`, so the 8 scalars hold the reference's
 * 16 MSE terms.
 */
export type DiscriminatorLossTerms = {
  /** Terms of the domain-A discriminators (D_GA, D_LA). */
  A: AdversarialTerms;
  /** Terms of the domain-B discriminators (D_GB, D_LB). */
  B: AdversarialTerms;
};

/** Terms of the generators' objective about images of one domain. */
export type GeneratorDomainTerms = {
  /** `lsganGeneratorLoss` of that domain's discriminators on the translated images. */
  adversarial: AdversarialTerms;
  /** `cycleLoss` of the images of that domain sent there and back. */
  cycle: tf.Scalar;
  /** `identityLoss` of the generator into that domain on images already there. */
  identity: tf.Scalar;
  /** `camGeneratorLoss` of the generator into that domain. */
  cam: tf.Scalar;
};

/**
 * Terms of the generators' objective, grouped as the reference's `G_loss_A` (everything about
 * producing domain A: G_B2A, D_GA, D_LA, cycle A2B2A, identity A2A) and `G_loss_B`.
 */
export type GeneratorLossTerms = {
  /** Terms about domain-A images (`G_loss_A`). */
  A: GeneratorDomainTerms;
  /** Terms about domain-B images (`G_loss_B`). */
  B: GeneratorDomainTerms;
};

/**
 * `weights` completed with {@link DEFAULT_LOSS_WEIGHTS} and checked: every weight a finite
 * number ≥ 0.
 *
 * @throws {@link UGATITConfigError} naming the weight and the value received.
 * @example
 * ```ts
 * resolveLossWeights({ cam: 500 }); // { adv: 1, cycle: 10, identity: 10, cam: 500 }
 * ```
 */
export function resolveLossWeights(weights: Partial<LossWeights>): LossWeights {
  const resolved = { ...DEFAULT_LOSS_WEIGHTS, ...weights };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new UGATITConfigError(
        `LossWeights: ${name} must be a finite number >= 0, received ${String(value)}`,
      );
    }
  }
  return resolved;
}

/** Sum in the reference's order: GA + GA cam + LA + LA cam. */
function sumAdversarial(terms: AdversarialTerms): tf.Tensor {
  return tf.add(tf.add(tf.add(terms.global, terms.globalCam), terms.local), terms.localCam);
}

/**
 * The discriminators' objective: `adv·(Σ terms.A) + adv·(Σ terms.B)`, summed in the order of
 * the reference's `Discriminator_loss = D_loss_A + D_loss_B`.
 *
 * @param terms - The eight per-discriminator, per-output scalars; not disposed.
 * @param weights - Only `adv` is used; missing fields take {@link DEFAULT_LOSS_WEIGHTS}.
 * @returns A float32 scalar.
 * @throws {@link UGATITConfigError} when a weight is negative or not finite.
 *
 * @example
 * ```ts
 * const dLoss = ugatitDiscriminatorObjective({
 *   A: { global: lsganDiscriminatorLoss(realGA, fakeGA), globalCam: lsganDiscriminatorLoss(realGACam, fakeGACam),
 *        local: lsganDiscriminatorLoss(realLA, fakeLA), localCam: lsganDiscriminatorLoss(realLACam, fakeLACam) },
 *   B: { ... },
 * });
 * ```
 */
export function ugatitDiscriminatorObjective(
  terms: DiscriminatorLossTerms,
  weights: Partial<LossWeights> = DEFAULT_LOSS_WEIGHTS,
): tf.Scalar {
  const { adv } = resolveLossWeights(weights);
  return tf.tidy(
    () =>
      tf.add(tf.mul(adv, sumAdversarial(terms.A)), tf.mul(adv, sumAdversarial(terms.B))) as tf.Scalar,
  );
}

/**
 * The generators' objective, as the reference's `Generator_loss = G_loss_A + G_loss_B` with
 * `G_loss_X = adv·Σ adversarial + cycle·cycle + identity·identity + cam·cam`.
 *
 * @param terms - The per-domain scalars; not disposed.
 * @param weights - Missing fields take {@link DEFAULT_LOSS_WEIGHTS} (1, 10, 10, 1000).
 * @returns A float32 scalar.
 * @throws {@link UGATITConfigError} when a weight is negative or not finite.
 *
 * @example
 * ```ts
 * const gLoss = ugatitGeneratorObjective({
 *   A: { adversarial: { global, globalCam, local, localCam }, cycle: cycleLoss(a2b2a, realA),
 *        identity: identityLoss(a2a, realA), cam: camGeneratorLoss(camB2A, camA2A) },
 *   B: { ... },
 * }, { cam: 500 });
 * ```
 */
export function ugatitGeneratorObjective(
  terms: GeneratorLossTerms,
  weights: Partial<LossWeights> = DEFAULT_LOSS_WEIGHTS,
): tf.Scalar {
  const w = resolveLossWeights(weights);
  const domainLoss = (t: GeneratorDomainTerms): tf.Tensor =>
    tf.add(
      tf.add(
        tf.add(tf.mul(w.adv, sumAdversarial(t.adversarial)), tf.mul(w.cycle, t.cycle)),
        tf.mul(w.identity, t.identity),
      ),
      tf.mul(w.cam, t.cam),
    );
  return tf.tidy(() => tf.add(domainLoss(terms.A), domainLoss(terms.B)) as tf.Scalar);
}
