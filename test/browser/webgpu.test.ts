import { goldenSuite, type TrainingRun } from './golden-suite';

// WebGPU on SwiftShader reproduces every recorded step of both fixtures within the bounds of
// the other backends (test/helpers/golden-bounds.ts), but slowly: on one busy core the forward
// checks take 35 s, the first training step 120 s (mostly compiling shaders), all five steps
// 560 s. By default: one step of the full fixture (full generator, non-default loss weights),
// about 3 minutes for the file; UGATIT_BROWSER_TRAINING=all compares every recorded step of
// both fixtures (about 10 minutes).
const TRAINING: TrainingRun[] = process.env.UGATIT_BROWSER_TRAINING === 'all'
  ? [['train-step', 2], ['train-step-full', 3]]
  : [['train-step-full', 1]];

goldenSuite('webgpu', TRAINING);
