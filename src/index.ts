/**
 * U-GAT-IT for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { UgatitError, UgatitFormatError, UgatitConfigError } from './errors';
export { readSafetensors, writeSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './io/safetensors';
export type { NamedTensors } from './io/safetensors';
