/**
 * U-GAT-IT for TensorFlow.js.
 *
 * @document ../docs/architecture.md
 * @packageDocumentation
 */
export { UGATITError, UGATITFormatError, UGATITConfigError } from './errors';
export * from './layers';
export * from './blocks';
export * from './networks';
export * from './losses';
export * from './training';
export { loadTorchStateDict, exportTorchStateDict, torchWeightTable } from './io/torch-state-dict';
export type { LoadTorchStateDictOptions, LoadTorchStateDictReport, TorchWeightRow } from './io/torch-state-dict';
export * from './backends';
export * from './io';
export * from './data';
export * from './translate';
export * from './weights';

// Deprecated spellings, kept for existing code (docs/api.md).
export { UgatitError, UgatitFormatError, UgatitConfigError } from './errors';
