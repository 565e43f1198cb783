import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { fuzzTargets, runFuzz } from './fuzz-core';

// Per format: this many mutated cases, each bounded in time. Longer runs:
// `npx tsx scripts/fuzz-long.ts --cases 1000000 --seed 7`.
const CASES = 10_000;
const MAX_CASE_MS = 500;

beforeAll(async () => { await useBackend('cpu'); });

describe('fuzzing every reader: each mutated input is read or refused with UGATITFormatError, quickly', () => {
  for (const [i, name] of ['safetensors', 'zip .pt', 'legacy .pt', 'model.json + weights.bin', 'tf checkpoint', 'tf checkpoint state'].entries()) {
    it(`${name}: ${CASES} cases`, () => {
      // Before the targets are made: building their seed inputs must not leak either.
      const before = tf.memory().numTensors;
      const target = fuzzTargets().find((t) => t.name === name)!;
      const report = runFuzz(target, CASES, 0x5eed + i, MAX_CASE_MS);
      console.log(`${name}: ${report.accepted} read, ${report.refused} refused, slowest ${report.slowestMs.toFixed(1)} ms, total ${(report.totalMs / 1000).toFixed(2)} s`);
      expect(report.failures, report.failures.slice(0, 3).join('\n\n')).toEqual([]);
      expect(report.accepted + report.refused).toBe(CASES);
      // Both outcomes must occur, or the mutations are not reaching the parser.
      expect(report.accepted).toBeGreaterThan(0);
      expect(report.refused).toBeGreaterThan(CASES / 4);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
