/**
 * U-GAT-IT for TensorFlow.js: what users compose. Layers (a `PascalCase` class, a `camelCase`
 * factory and the pure function beside it), blocks, the paper's networks, the losses and
 * objectives, the trainer, translation, loading and saving networks and weights, images and
 * errors. File formats are in `ugatit-tf/io`, backend kernels in `ugatit-tf/backends`; the
 * naming convention and the renamed symbols are in docs/api.md.
 *
 * @document ../docs/architecture.md
 * @document ../docs/api.md
 * @packageDocumentation
 * @module ugatit-tf
 */

// Errors
export { UGATITError, UGATITFormatError, UGATITConfigError } from './errors';

// Layers (with their pure functions) and blocks
export * from './layers';
export * from './blocks';

// Networks
export * from './networks';

// Losses and objectives
export * from './losses';

// Training
export * from './training';

// Translation and attention heatmaps
export * from './translate';

// Networks and weights: loading, saving, pretrained weights, PyTorch and TensorFlow weights
export * from './weights';
export { loadLayersModelFromDir, saveLayersModelToDir } from './io/file-handler';
export type { ModelFolderOptions } from './io/file-handler';
export { loadTorchStateDict, exportTorchStateDict, torchWeightTable } from './io/torch-state-dict';
export type { LoadTorchStateDictOptions, LoadTorchStateDictReport, TorchWeightRow } from './io/torch-state-dict';
export type { NamedTensors } from './io/safetensors';

// Images, datasets, heatmaps
export * from './data';

// Translation quality metrics
export * from './metrics';

// Deprecated spellings, kept for existing code (docs/api.md).
export { UgatitError, UgatitFormatError, UgatitConfigError } from './errors';
