#!/usr/bin/env node
// The scale-out test (test/scale-out/ddp.test.ts) runs the PyTorch trainer in bench/pytorch
// with the Python at $UGATIT_PYTHON (default python3). Installs what bench/pytorch/requirements.txt
// lists and that Python lacks, with pip; when it cannot, says so loudly, and the test, which
// checks that Python itself, is reported skipped with the reason. UGATIT_NO_PYTHON=1 skips it on purpose.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const requirements = fileURLToPath(new URL('../bench/pytorch/requirements.txt', import.meta.url));
const python = process.env.UGATIT_PYTHON || 'python3';
const skipped = (why) => {
  const bar = '!'.repeat(100);
  console.error(`${bar}\nensure-python: the scale-out test (test/scale-out/ddp.test.ts) will be SKIPPED: ${why}\n${bar}`);
};
if (process.env.UGATIT_NO_PYTHON) {
  skipped('UGATIT_NO_PYTHON is set.');
  process.exit(0);
}

const names = readFileSync(requirements, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
const missing = () => {
  const r = spawnSync(python, ['-c', `import importlib.metadata as m, sys
for n in sys.argv[1:]:
    try: m.version(n)
    except m.PackageNotFoundError: print(n)`, ...names], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : null;
};

const before = missing();
if (before === null) {
  skipped(`no working ${python}.\n  Install Python 3 (or set UGATIT_PYTHON to one), then: python3 -m pip install -r bench/pytorch/requirements.txt`);
  process.exit(0);
}
if (before.length === 0) process.exit(0);

console.log(`ensure-python: installing ${before.join(', ')} with pip for ${python} (needed by the scale-out test)…`);
spawnSync(python, ['-m', 'pip', 'install', ...before], { stdio: 'inherit' });
const after = missing();
if (after === null || after.length > 0) {
  skipped(`pip could not install ${(after ?? before).join(', ')}.\n`
    + `  Run '${python} -m pip install -r bench/pytorch/requirements.txt' by hand (a CPU build of torch is enough).`);
}
