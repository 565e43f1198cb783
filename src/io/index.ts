/**
 * `ugatit-tf/io`: file formats and checkpoint conversion, for code that reads or writes weights
 * itself. safetensors; PyTorch checkpoints (`torch.save`, zip and legacy formats, read by a
 * restricted pickle VM that executes nothing) and their conversion into our networks;
 * TensorFlow 1 checkpoints (tensor bundles, read by offset without loading the data files) and
 * the official U-GAT-IT checkpoint's layout; the tfjs model folder format (float32 or float16)
 * without tfjs-node; image headers. Every reader validates before allocating and throws
 * {@link ugatit-tf!UGATITFormatError}; the threat model and the limits are in `docs/security.md`.
 *
 * Loading and saving whole models stays in the root export (`loadLayersModelFromDir`,
 * `saveLayersModelToDir`, `loadTorchStateDict`, `exportTorchStateDict`, `loadTFCheckpoint`,
 * `loadNetworks`, …); this entry point holds the formats underneath.
 *
 * @example
 * ```ts
 * import { readTorchCheckpoint, writeSafetensors } from 'ugatit-tf/io';
 * ```
 *
 * @module ugatit-tf/io
 */
export { readSafetensors, writeSafetensors, SAFETENSORS_MAX_HEADER_BYTES, SAFETENSORS_MAX_TENSOR_ELEMENTS } from './safetensors';
export { readTorchCheckpoint, TORCH_MAX_TENSOR_ELEMENTS, TORCH_MAX_TOTAL_ELEMENTS } from './torch-checkpoint';
export type { TorchCheckpointOptions } from './torch-checkpoint';
export {
  unpickle, unpickleAt, PickleGlobal, TorchStorageType, TorchTensorRef, PICKLE_ALLOWED_GLOBALS, PICKLE_OPCODES,
  PICKLE_MAX_OPS, PICKLE_MAX_STACK, PICKLE_MAX_MARKS, PICKLE_MAX_MEMO, PICKLE_MAX_DEPTH, PICKLE_MAX_LONG_BYTES, PICKLE_MAX_LINE,
} from './pickle';
export type { PickleLimits, PickleOptions, UnpickleResult, TorchStorageDtype } from './pickle';
export { readZip, ZIP_MAX_ENTRIES } from './zip';
export type { ZipArchive, ZipEntry } from './zip';
export {
  inferTorchNetwork, inferModelNetwork, splitStateDicts, convertTorchCheckpoint, describeNetwork, countParameters,
} from '../weights/convert';
export type { InferredNetwork, InferNetworkOptions, ConvertedNetwork, TorchShapes } from '../weights/convert';
export { parseTFBundleIndex, readTFBundle, TF_MAX_TENSOR_ELEMENTS, TF_INDEX_MAX_BYTES } from './tf-bundle';
export type { TFBundleEntry, TFBundleHeader, TFBundleIndex } from './tf-bundle';
export { openTFCheckpoint, resolveTFCheckpointPrefix, parseTFCheckpointState } from './tf-checkpoint';
export type { TFCheckpoint, TFCheckpointState, TFReadProgress } from './tf-checkpoint';
export {
  openTFCheckpointNetworks, inferTFCheckpointConfig, planTFCheckpoint, parseOfficialModelDir, describeTFConfig,
} from '../weights/tf-checkpoint';
export type { TFCheckpointNetworks, OfficialModelDir, TFVariableShapes } from '../weights/tf-checkpoint';
export {
  fileSystemHandler, modelArtifactsFromFiles,
  MODEL_JSON_MAX_BYTES, MODEL_WEIGHT_MAX_ELEMENTS, MODEL_MAX_WEIGHTS, MODEL_JSON_FILE, WEIGHTS_BIN_FILE,
} from './file-handler';
export { float32ToFloat16Bits, float16BitsToFloat32 } from './float16';
export { packageWeightsDir } from '../weights/pretrained';
export { IMAGE_MAX_PIXELS, readImageHeader, sniffImageFormat } from '../data/image-codec';
export type { ImageFormat, ImageHeader } from '../data/image-codec';
