export { createGenerator, resolveGeneratorConfig } from './generator';
export type { GeneratorConfig, ResolvedGeneratorConfig } from './generator';
export { createDiscriminator, resolveDiscriminatorConfig, discriminatorMinInputSize } from './discriminator';
export type { DiscriminatorConfig, ResolvedDiscriminatorConfig } from './discriminator';
export { flavorOptions, networkFlavor, NETWORK_FLAVORS } from './flavor';
export type { FlavorOptions, NetworkFlavor } from './flavor';
