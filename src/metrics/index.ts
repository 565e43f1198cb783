/**
 * Translation quality metrics: kernel inception distance on caller-supplied features, a
 * classifier two-sample test, a domain classifier (the style judge), and the small CNN they and
 * the style feature network are built from. Features and critics work on NHWC images in [-1, 1].
 *
 * @module
 */
export { kid, unbiasedMMD2, polynomialKernel } from './kid';
export type { FeatureRows, KIDOptions, KIDResult } from './kid';
export { twoSampleTest } from './two-sample';
export type { SetCounts, TwoSampleTestOptions, TwoSampleTestResult } from './two-sample';
export {
  DOMAIN_CLASSIFIER_SIZE, DOMAIN_CLASSIFIER_FILTERS, prepareDomainImages, buildDomainClassifier, trainDomainClassifier,
  domainProbabilities, domainAccuracy,
} from './domain-classifier';
export type { DomainLabel, DomainClassifierOptions } from './domain-classifier';
export {
  STYLE_FEATURE_SIZE, STYLE_FEATURE_FILTERS, STYLE_FEATURE_SCALE_KEY, trainStyleClassifier, featureRMS, styleFeatureExtractor, predictInBatches,
} from './style-features';
export { buildPatchClassifier, patchClassifierFeatures, fitClassifier, resizeForClassifier } from './patch-classifier';
export type { PatchClassifierOptions, FitClassifierOptions } from './patch-classifier';
