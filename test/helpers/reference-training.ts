import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURE_DIR, manifest, readFixture } from './fixtures';
import type { TrainingFixture, TrainingFixtureName } from './golden-training';

export * from './golden-training';

/** A training fixture's configuration and every loss term (and lr) of every step, without its tensors. */
export function readTrainingMeta(name: TrainingFixtureName): Pick<TrainingFixture, 'config' | 'losses'> {
  const meta = name === 'train-step' ? manifest['train-step'] : JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8'));
  return { config: meta.config, losses: meta.losses };
}

/** Reads a training fixture. The caller disposes `tensors`. */
export function readTrainingFixture(name: TrainingFixtureName): TrainingFixture {
  return { name, tensors: readFixture(`${name}.safetensors`), ...readTrainingMeta(name) };
}
