/**
 * U-GAT-IT for TensorFlow.js.
 *
 * @packageDocumentation
 */
export { UgatitError, UgatitFormatError, UgatitConfigError } from './errors';
export * from './layers';
export * from './blocks';
export * from './networks';
export { readSafetensors, writeSafetensors, SAFETENSORS_MAX_HEADER_BYTES } from './io/safetensors';
export type { NamedTensors } from './io/safetensors';
export { loadTorchStateDict, exportTorchStateDict, torchWeightTable } from './io/torch-state-dict';
export type { LoadTorchStateDictOptions, LoadTorchStateDictReport, TorchWeightRow } from './io/torch-state-dict';
