/**
 * Pretrained weights: loading the generators that ship with the package (Node and browsers),
 * and float16 storage.
 *
 * @module
 */
export {
  loadPretrained, listPretrained, loadGeneratorsFromDir, loadModelFromDir, packageWeightsDir, PRETRAINED_NAMES,
} from './pretrained';
export type { LoadPretrainedOptions, PretrainedDirection, PretrainedGenerators, WeightsProvenance } from './pretrained';
export { saveLayersModelFloat16, readFloat16ModelFiles, float32ToFloat16Bits, float16BitsToFloat32 } from './float16';
export { exportWeights } from './export';
export type { ExportWeightsOptions, ExportWeightsResult } from './export';
export { inferTorchNetwork, splitStateDicts, convertTorchCheckpoint, describeNetwork, countParameters } from './convert';
export type { InferredNetwork, InferNetworkOptions, ConvertedNetwork, TorchShapes } from './convert';
