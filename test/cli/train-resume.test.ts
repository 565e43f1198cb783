/**
 * `ugatit-tf train --resume`: a resumed run keeps its own schedule unless --iterations is given
 * (the default of a fresh run, 100000, must not silently stretch it).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/processes';
import { tempDir, writeSyntheticDomains } from '../helpers/tiny-training';

let dir: string;
const common = () => ['train', '--data', path.join(dir, 'data'), '--out', path.join(dir, 'run'), '--backend', 'cpu'];

beforeAll(async () => {
  dir = await tempDir('ugatit-train-resume-');
  await writeSyntheticDomains(path.join(dir, 'data'), { side: 32, train: 2, test: 1 });
});

describe('train --resume', () => {
  it('continues the run\'s own number of iterations, and changes it only when asked', async () => {
    const fresh = await runCli(dir, ...common(), '--size', '96', '--ngf', '2', '--blocks', '1', '--iterations', '2', '--save-every', '2', '--sample-every', '100');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout + fresh.stderr).toContain('saved');

    const resumed = await runCli(dir, ...common(), '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = resumed.stdout + resumed.stderr;
    expect(out).toMatch(/resumed from .*ckpt-00000002 at iteration 2/);
    expect(out).not.toContain('iterations 2 →');

    const extended = await runCli(dir, ...common(), '--resume', '--iterations', '3', '--save-every', '3');
    expect(extended.code, extended.stderr).toBe(0);
    expect(extended.stdout + extended.stderr).toContain('iterations 2 → 3');
  }, 240_000);
});
