// vitest globalSetup: a temporary folder for this run's build of the package
// (test/helpers/package-build.ts builds it there on first use), removed after the run.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/helpers/package-build.ts builds and packs the package, once per run. */
    packageBuildDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-tf-package-'));
  project.provide('packageBuildDir', dir);
  return async () => { await fs.rm(dir, { recursive: true, force: true }); };
}
