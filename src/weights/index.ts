/**
 * Pretrained weights: loading the generators that ship with the package (Node and browsers),
 * exporting a training checkpoint as such a folder, and converting PyTorch checkpoints.
 *
 * @module
 */
export {
  loadPretrained, listPretrained, loadGeneratorsFromDir, packageWeightsDir, PRETRAINED_NAMES,
} from './pretrained';
export type { LoadFromDirOptions, LoadPretrainedOptions, PretrainedDirection, PretrainedGenerators, WeightsProvenance } from './pretrained';
export { exportWeights } from './export';
export type { ExportWeightsOptions, ExportWeightsResult } from './export';
export { inferTorchNetwork, inferModelNetwork, splitStateDicts, convertTorchCheckpoint, describeNetwork, countParameters } from './convert';
export type { InferredNetwork, InferNetworkOptions, ConvertedNetwork, TorchShapes } from './convert';
export {
  loadTFCheckpoint, openTFCheckpointNetworks, inferTFCheckpointConfig, planTFCheckpoint, parseOfficialModelDir, describeTFConfig,
} from './tf-checkpoint';
export type {
  LoadTFCheckpointOptions, TFCheckpointConfig, TFCheckpointModels, TFCheckpointNetworks, TFCheckpointPlan, TFWeightRow,
  TFLoadProgress, OfficialModelDir, TFVariableShapes,
} from './tf-checkpoint';

// Deprecated spellings, kept for existing code (docs/api.md).
export { loadTfCheckpoint } from './tf-checkpoint';
export type {
  LoadTfCheckpointOptions, TfCheckpointConfig, TfCheckpointModels, TfCheckpointPlan, TfWeightRow, TfLoadProgress,
} from './tf-checkpoint';
