export { paddedConv } from './conv';
export type { PaddedConvOptions } from './conv';
export { resnetBlock } from './resnet-block';
export type { ResnetBlockOptions } from './resnet-block';
export { resnetAdaLINBlock } from './resnet-adalin-block';
export type { ResnetAdaLINBlockOptions } from './resnet-adalin-block';
export { upsampleBlock } from './upsample-block';
export type { UpsampleBlockOptions } from './upsample-block';
export { gammaBetaMLP } from './gamma-beta-mlp';
export type { GammaBetaMLPOptions } from './gamma-beta-mlp';

// Deprecated spellings, kept for existing code (docs/api.md).
export { gammaBetaMlp } from './gamma-beta-mlp';
export type { GammaBetaMlpOptions } from './gamma-beta-mlp';
