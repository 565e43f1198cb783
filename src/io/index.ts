/**
 * File formats: safetensors, PyTorch checkpoints (`torch.save`, zip and legacy formats, read by
 * a restricted pickle VM that executes nothing), TensorFlow checkpoints (tensor bundles, read by
 * offset without loading the data files), and tfjs layers models in a folder (float32 or
 * float16) without tfjs-node. Every reader validates before allocating and throws `UGATITFormatError`; the
 * threat model and limits are in `docs/security.md`.
 *
 * @module
 */
export { readSafetensors, writeSafetensors, SAFETENSORS_MAX_HEADER_BYTES, SAFETENSORS_MAX_TENSOR_ELEMENTS } from './safetensors';
export type { NamedTensors } from './safetensors';
export { readTorchCheckpoint, TORCH_MAX_TENSOR_ELEMENTS, TORCH_MAX_TOTAL_ELEMENTS } from './torch-checkpoint';
export type { TorchCheckpointOptions } from './torch-checkpoint';
export {
  unpickle, unpickleAt, PickleGlobal, TorchStorageType, TorchTensorRef, PICKLE_ALLOWED_GLOBALS, PICKLE_OPCODES,
  PICKLE_MAX_OPS, PICKLE_MAX_STACK, PICKLE_MAX_MARKS, PICKLE_MAX_MEMO, PICKLE_MAX_DEPTH, PICKLE_MAX_LONG_BYTES, PICKLE_MAX_LINE,
} from './pickle';
export type { PickleLimits, PickleOptions, UnpickleResult, TorchStorageDtype } from './pickle';
export { readZip, ZIP_MAX_ENTRIES } from './zip';
export { parseTFBundleIndex, readTFBundle, TF_MAX_TENSOR_ELEMENTS, TF_INDEX_MAX_BYTES } from './tf-bundle';
export type { TFBundleEntry, TFBundleHeader, TFBundleIndex } from './tf-bundle';
export { openTFCheckpoint, resolveTFCheckpointPrefix, parseTFCheckpointState } from './tf-checkpoint';
export type { TFCheckpoint, TFCheckpointState, TFReadProgress } from './tf-checkpoint';
export type { ZipArchive, ZipEntry } from './zip';
export { float32ToFloat16Bits, float16BitsToFloat32 } from './float16';
export {
  fileSystemHandler, saveLayersModelToDir, loadLayersModelFromDir, modelArtifactsFromFiles,
  MODEL_JSON_MAX_BYTES, MODEL_WEIGHT_MAX_ELEMENTS, MODEL_MAX_WEIGHTS, MODEL_JSON_FILE, WEIGHTS_BIN_FILE,
} from './file-handler';
export type { ModelFolderOptions } from './file-handler';
