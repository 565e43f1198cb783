/**
 * Pretrained weights and the six networks as a set: loading the generators that ship with the
 * package (Node and browsers), the official TensorFlow checkpoints, exporting a training
 * checkpoint as a weights folder.
 *
 * @module
 */
export { loadPretrained, listPretrained, loadGeneratorsFromDir, PRETRAINED_NAMES } from './pretrained';
export type { LoadFromDirOptions, LoadPretrainedOptions, PretrainedDirection, PretrainedGenerators, WeightsProvenance } from './pretrained';
export { loadNetworks, saveNetworks, disposeNetworks } from './networks';
export { exportWeights } from './export';
export type { ExportWeightsOptions, ExportWeightsResult } from './export';
export { loadTFCheckpoint } from './tf-checkpoint';
export type {
  LoadTFCheckpointOptions, TFCheckpointConfig, TFCheckpointModels, TFCheckpointPlan, TFWeightRow, TFLoadProgress,
} from './tf-checkpoint';

// Deprecated spellings, kept for existing code (docs/api.md).
export { loadTfCheckpoint } from './tf-checkpoint';
export type {
  LoadTfCheckpointOptions, TfCheckpointConfig, TfCheckpointModels, TfCheckpointPlan, TfWeightRow, TfLoadProgress,
} from './tf-checkpoint';
