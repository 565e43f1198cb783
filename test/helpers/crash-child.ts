// A training process for the crash-safety test: resumes from <dir> if it holds a checkpoint,
// then steps and saves forever, printing `saving N` / `saved N`, until it is killed.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { disposeTrainerState, findLatestCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint, UGATITTrainer } from '../../src';
import { randomBatch, tinyNetworks, weightChecksum } from './tiny-training';

const dir = process.argv[2]!;
await tf.setBackend('cpu');
const SIZE = 12;
let trainer: UGATITTrainer;
if (await findLatestCheckpoint(dir)) {
  const loaded = await loadTrainingCheckpoint(dir);
  trainer = new UGATITTrainer(loaded.networks, { lr: 1e-3, iterations: 1_000_000 });
  trainer.setState(loaded.state);
  disposeTrainerState(loaded.state);
  console.log(`resumed ${trainer.iteration}`);
} else {
  trainer = new UGATITTrainer(tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, globalLayers: 4, localLayers: 3 }), { lr: 1e-3, iterations: 1_000_000 });
  console.log('fresh');
}
for (;;) {
  const [a, b] = [randomBatch(1, SIZE, trainer.iteration), randomBatch(1, SIZE, 1000 + trainer.iteration)];
  await trainer.step(a, b);
  tf.dispose([a, b]);
  const state = trainer.getState();
  console.log(`saving ${trainer.iteration}`);
  await saveTrainingCheckpoint(dir, trainer.networks, state, { checksum: weightChecksum(trainer.networks) });
  disposeTrainerState(state);
  console.log(`saved ${trainer.iteration}`);
}
