import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NamedTensors } from '../../src/io/safetensors';

/** Folder of the golden files produced by the official TensorFlow implementation. */
export const TF_FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tf-reference');

/** The fixture manifest: per case, configuration, model_dir, tensors and checks. */
export const tfManifest = JSON.parse(readFileSync(path.join(TF_FIXTURE_DIR, 'manifest.json'), 'utf8')) as {
  cases: Record<string, {
    config: { light: boolean; ch: number; n_res: number; n_dis: number; img_size: number; batch: number };
    model_dir: string;
    model_name: string;
    checkpoint_prefix: string;
    tensors: Record<string, { shape: number[] }>;
  }>;
};

/** The two cases: a light 64 px and a full 48 px checkpoint. */
export const TF_CASES = ['light-64', 'full-48'] as const;

/** The folder holding a case's `checkpoint` file. */
export function tfCheckpointDir(name: string): string {
  return path.join(TF_FIXTURE_DIR, name, tfManifest.cases[name]!.model_dir);
}

/** A case's `variables.json`: every variable as the official Saver wrote it. */
export function tfVariables(name: string): Array<{ name: string; shape: number[]; kind: string; trainable: boolean; sum: number; first: number[] }> {
  return JSON.parse(readFileSync(path.join(TF_FIXTURE_DIR, name, 'variables.json'), 'utf8')).variables;
}

/** A case's official outputs (`forward.safetensors`); the caller disposes them. */
export function tfForward(name: string): NamedTensors {
  return readSafetensors(new Uint8Array(readFileSync(path.join(TF_FIXTURE_DIR, name, 'forward.safetensors'))));
}

/** Every variable the released selfie2anime configuration holds, with its kind. */
export const selfie2animeVariables = JSON.parse(readFileSync(path.join(TF_FIXTURE_DIR, 'selfie2anime-variables.json'), 'utf8')) as {
  config: { light: boolean; ch: number; n_res: number; n_dis: number; img_size: number };
  model_dir: string;
  variables: Array<{ name: string; shape: number[]; dtype: string; trainable: boolean; kind: string }>;
  original_code: { only_in_original_code: string[] };
};
