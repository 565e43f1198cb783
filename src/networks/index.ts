export { createGenerator, resolveGeneratorConfig } from './generator';
export type { GeneratorConfig, ResolvedGeneratorConfig } from './generator';
export { createDiscriminator, resolveDiscriminatorConfig, discriminatorMinInputSize } from './discriminator';
export type { DiscriminatorConfig, ResolvedDiscriminatorConfig } from './discriminator';
