import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tempDir, weightChecksum } from '../helpers/tiny-training';
import { disposeTrainerState, loadTrainingCheckpoint, RNG, saveTrainingCheckpoint, UGATITTrainer } from '../../src';

const CHILD = fileURLToPath(new URL('../helpers/crash-child.ts', import.meta.url));
const KILLS = 15;

/** A training child process and the lines it printed so far. */
function startChild(dir: string) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: Array<{ test: (l: string) => boolean; resolve: () => void }> = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.splice(0)) (w.test(line) ? w.resolve() : waiters.push(w));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = (test: (l: string) => boolean) => new Promise<void>((resolve, reject) => {
    if (lines.some(test)) return resolve();
    waiters.push({ test, resolve });
    void exited.then(() => reject(new Error(`child exited early: ${stderr.slice(-2000)}`)));
  });
  return { child, lines, waitFor, exited };
}

const lastSaved = (lines: string[]) => Math.max(-1, ...lines.filter((l) => l.startsWith('saved ')).map((l) => Number(l.slice(6))));

describe('crash safety of training checkpoints', () => {
  beforeAll(async () => { await useBackend('cpu'); });

  it(`SIGKILLed ${KILLS} times at random points, training always resumes from the last complete checkpoint`, { timeout: 120_000 }, async () => {
    const dir = await tempDir('crash');
    const rng = new RNG(2024);
    let previous = -1;
    let duringSave = 0;
    for (let k = 0; k < KILLS; k++) {
      const run = startChild(dir);
      const first = previous < 0 ? 'fresh' : `resumed ${previous}`;
      await run.waitFor((l) => l === 'fresh' || l.startsWith('resumed '));
      expect(run.lines[0], 'the child resumes from what the parent loaded').toBe(first);
      // Half the kills aim inside a save (a random moment after it begins), half anywhere after
      // the child's first completed save (so that training makes progress however loaded the machine).
      if (k % 2 === 0) {
        await run.waitFor((l) => l.startsWith('saving '));
        await new Promise((r) => setTimeout(r, rng.next() * 60));
      } else {
        await run.waitFor((l) => l.startsWith('saved '));
        await new Promise((r) => setTimeout(r, rng.next() * 1500));
      }
      run.child.kill('SIGKILL');
      await run.exited;
      if (run.lines.at(-1)?.startsWith('saving ')) duringSave++;
      const reported = lastSaved(run.lines);
      if (reported < 0 && previous < 0) {
        previous = await loadTrainingCheckpoint(dir).then((c) => { disposeNetworks(c.networks); disposeTrainerState(c.state); return c.state.iteration; }, () => -1);
        continue;
      }
      const loaded = await loadTrainingCheckpoint(dir);
      const iteration = loaded.state.iteration;
      expect(iteration, 'never older than the last save the child finished').toBeGreaterThanOrEqual(reported);
      expect(iteration, 'monotone').toBeGreaterThanOrEqual(previous);
      expect(weightChecksum(loaded.networks), `weights of ckpt ${iteration} are the ones saved`).toBe(loaded.extra.checksum);
      // The optimizer state fits the networks.
      const trainer = new UGATITTrainer(loaded.networks, { iterations: 1_000_000 });
      trainer.setState(loaded.state);
      expect(trainer.iteration).toBe(iteration);
      trainer.dispose();
      disposeTrainerState(loaded.state);
      disposeNetworks(loaded.networks);
      previous = iteration;
    }
    expect(previous).toBeGreaterThan(0);
    console.info(`crash test: ${KILLS} kills, ${duringSave} inside a save, resumed up to iteration ${previous}`);
    expect(duringSave, 'kills that landed inside a save').toBeGreaterThanOrEqual(3);

    // The next save cleans what the killed ones left and can replace a checkpoint in place.
    const loaded = await loadTrainingCheckpoint(dir);
    await saveTrainingCheckpoint(dir, loaded.networks, loaded.state, loaded.extra);
    const entries = await fs.readdir(dir);
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([]);
    expect(entries.filter((e) => e.startsWith('ckpt-')).length).toBeLessThanOrEqual(2);
    expect(await fs.readFile(path.join(dir, 'latest'), 'utf8')).toBe(path.basename(loaded.path));
    disposeTrainerState(loaded.state);
    disposeNetworks(loaded.networks);
    const again = await loadTrainingCheckpoint(dir);
    expect(again.state.iteration).toBe(previous);
    expect(weightChecksum(again.networks)).toBe(again.extra.checksum);
    disposeTrainerState(again.state);
    disposeNetworks(again.networks);
    expect(tf.memory().numTensors).toBe(0);
  });
});
