export { TorchAdam } from './adam';
export type { TorchAdamArgs, TorchAdamState } from './adam';
export { clipRhoWeights } from './rho-clip';
export { UGATITTrainer, NETWORK_NAMES } from './trainer';
export { scheduledLearningRate } from './lr-schedule';
export type { LearningRateSchedule } from './lr-schedule';
export type {
  UGATITNetworks, NetworkName, TrainerOptions, StepLosses, StepResult, StepOptions, TrainerState,
} from './trainer';
export { saveTrainingCheckpoint, loadTrainingCheckpoint, findLatestCheckpoint, disposeTrainerState, LATEST_CHECKPOINT_FILE } from './checkpoint';
export type { CheckpointMetadata, LoadedCheckpoint, LoadCheckpointOptions } from './checkpoint';
export { translationSampleSheet } from './sample-sheet';
export { runTraining } from './run-training';
export { GeneratorAverage } from './generator-average';
export type { GeneratorPair } from './generator-average';
export type { TrainingRunOptions } from './run-training';
