export { paddedConv } from './conv';
export type { PaddedConvOptions } from './conv';
export { resnetBlock } from './resnet-block';
export { resnetAdaLINBlock } from './resnet-adalin-block';
export type { ResnetAdaLINBlockOptions } from './resnet-adalin-block';
export { upsampleBlock } from './upsample-block';
export type { UpsampleBlockOptions } from './upsample-block';
export { gammaBetaMlp } from './gamma-beta-mlp';
export type { GammaBetaMlpOptions } from './gamma-beta-mlp';
