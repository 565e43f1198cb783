import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NamedTensors } from '../../src/io/safetensors';

export { withPrefix, toNHWC, toNCHW, worstDifference, expectCloseRelativeToMax } from './golden-compare';

/** Folder of the golden files produced by the official PyTorch implementation. */
export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pytorch-reference');

/** The fixture manifest (configurations and loss values). */
export const manifest = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));

/** Reads a golden safetensors file. The caller disposes the tensors. */
export function readFixture(name: string): NamedTensors {
  return readSafetensors(new Uint8Array(readFileSync(path.join(FIXTURE_DIR, name))));
}
