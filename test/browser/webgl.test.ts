import { goldenSuite, type TrainingRun } from './golden-suite';

// Every recorded step: the two of the light fixture, and the three of the full one (non-default
// loss weights, lr decay inside the steps, Adam moments). On one busy core the file takes about
// 2.5 minutes (forward checks 12 s, light fixture 61 s, full fixture 77 s), most of it
// SwiftShader compiling a shader per kernel and shape.
const TRAINING: TrainingRun[] = [['train-step', 2], ['train-step-full', 3]];

goldenSuite('webgl', TRAINING);
