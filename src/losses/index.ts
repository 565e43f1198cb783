export { mseLoss } from './mse';
export { l1Loss } from './l1';
export { bceWithLogitsLoss } from './bce-with-logits';
export { lsganDiscriminatorLoss, lsganGeneratorLoss } from './lsgan';
export { camGeneratorLoss, camDiscriminatorLoss } from './cam';
export { cycleLoss, identityLoss } from './reconstruction';
export {
  DEFAULT_LOSS_WEIGHTS,
  resolveLossWeights,
  ugatitDiscriminatorObjective,
  ugatitGeneratorObjective,
} from './objective';
export type {
  LossWeights,
  AdversarialTerms,
  DiscriminatorLossTerms,
  GeneratorDomainTerms,
  GeneratorLossTerms,
} from './objective';
