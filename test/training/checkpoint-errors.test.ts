import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tempDir, tinyNetworks } from '../helpers/tiny-training';
import { disposeTrainerState, loadTrainingCheckpoint, saveTrainingCheckpoint, UGATITFormatError, UGATITTrainer } from '../../src';

/** Paths (suffixes) whose reads fail with an injected system error, as a failing disk or a full file table would. */
const faults = vi.hoisted(() => new Map<string, string>());

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const failing = <F extends (...args: never[]) => Promise<unknown>>(syscall: string, fn: F): F => (async (...args: Parameters<F>) => {
    const file = String(args[0]);
    for (const [suffix, code] of faults) {
      if (file.endsWith(suffix)) throw Object.assign(new Error(`${code}: injected failure, ${syscall} '${file}'`), { code, syscall, path: file, errno: -1 });
    }
    return fn(...args);
  }) as F;
  const patched = { readFile: failing('open', actual.readFile), stat: failing('stat', actual.stat), readdir: failing('scandir', actual.readdir) };
  return { ...actual, ...patched, default: { ...actual, ...patched } };
});

let dir: string;
const fs = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');

/** A training directory with two complete checkpoints, iterations 1 and 2 (`latest` names 2). */
async function twoCheckpoints(): Promise<string> {
  const out = await tempDir('ckpt-errors');
  const nets = tinyNetworks();
  const trainer = new UGATITTrainer(nets, { iterations: 10 });
  for (const iteration of [1, 2]) {
    const state = { ...trainer.getState(), iteration };
    await saveTrainingCheckpoint(out, nets, state, { marker: iteration });
    disposeTrainerState(state);
  }
  trainer.dispose();
  disposeNetworks(nets);
  return out;
}

beforeAll(async () => {
  await useBackend('cpu');
  dir = await twoCheckpoints();
});
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('loadTrainingCheckpoint when a checkpoint cannot be read', () => {
  it.each([
    ['EACCES', 'ckpt-00000002/state.json'],
    ['EIO', 'ckpt-00000002/genA2B/weights.bin'],
    ['EMFILE', 'ckpt-00000002/disLB/model.json'],
    ['EIO', 'ckpt-00000002/optimizers.safetensors'],
    ['EACCES', `${path.sep}latest`],
    ['EMFILE', 'the training folder'],
  ])('%s on %s stops with the cause instead of falling back to an older checkpoint', async (code, file) => {
    const suffix = file === 'the training folder' ? path.basename(dir) : file;
    const before = tf.memory().numTensors;
    const onSkip = vi.fn();
    faults.set(suffix, code);
    try {
      const error = await loadTrainingCheckpoint(dir, { onSkip }).then(() => null, (e: unknown) => e);
      expect(error).not.toBeNull();
      expect(error).not.toBeInstanceOf(UGATITFormatError);
      expect((error as { code?: string }).code).toBe(code);
      expect((error as Error).message).toContain(suffix);
      expect(onSkip).not.toHaveBeenCalled();
    } finally {
      faults.clear();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('skips a corrupt or incomplete newest checkpoint, says so, and loads the previous one', async () => {
    const before = tf.memory().numTensors;
    const bin = path.join(dir, 'ckpt-00000002', 'disLB', 'weights.bin');
    const original = await fs.readFile(bin);
    await fs.writeFile(bin, original.subarray(0, original.length - 4));
    try {
      const onSkip = vi.fn();
      const loaded = await loadTrainingCheckpoint(dir, { onSkip });
      expect(loaded.extra.marker).toBe(1);
      expect(onSkip).toHaveBeenCalledTimes(1);
      expect(onSkip.mock.calls[0]![0]).toBe(path.join(dir, 'ckpt-00000002'));
      expect((onSkip.mock.calls[0]![1] as Error).message).toMatch(/weights\.bin: \d+ bytes, but the manifest's \d+ weights need \d+/);
      disposeTrainerState(loaded.state);
      disposeNetworks(loaded.networks);

      // Without onSkip the fallback is printed.
      await fs.rm(path.join(dir, 'ckpt-00000002', 'optimizers.safetensors'));
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const again = await loadTrainingCheckpoint(dir);
        expect(again.extra.marker).toBe(1);
        expect(warn).toHaveBeenCalledTimes(1);
        expect(String(warn.mock.calls[0]![0])).toMatch(/skipping corrupt checkpoint .*ckpt-00000002: .*weights\.bin/);
        disposeTrainerState(again.state);
        disposeNetworks(again.networks);
      } finally {
        warn.mockRestore();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
      dir = await twoCheckpoints();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('skips a checkpoint whose optimizer file is missing', async () => {
    await fs.rm(path.join(dir, 'ckpt-00000002', 'optimizers.safetensors'));
    const onSkip = vi.fn();
    const loaded = await loadTrainingCheckpoint(dir, { onSkip });
    expect(loaded.extra.marker).toBe(1);
    expect((onSkip.mock.calls[0]![1] as Error).message).toMatch(/corrupt checkpoint \(ENOENT: .*optimizers\.safetensors/);
    disposeTrainerState(loaded.state);
    disposeNetworks(loaded.networks);
  });
});
