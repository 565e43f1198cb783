/**
 * Inference: translate images with a generator and read the CAM attention of generators and
 * discriminators as heatmaps.
 *
 * @module
 */
export { translate, generatorInputSize } from './translate';
export type { TranslateOptions, TranslateResult } from './translate';
export { discriminatorAttention } from './discriminator-attention';
export type { DiscriminatorAttentionOptions, DiscriminatorAttentionResult } from './discriminator-attention';
export { prepareImages, batchToImages } from './input';
export type { ImageInput, BrowserImageSource, PreparedInput, PrepareImagesOptions } from './input';
