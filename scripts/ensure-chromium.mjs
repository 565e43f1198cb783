#!/usr/bin/env node
// The browser tests (test/browser) drive Debian's Chromium at /usr/bin/chromium (or
// $CHROMIUM_PATH). Installs it with apt-get when it is missing and we may; otherwise says
// what to do and lets the test fail with the same message. Never downloads a browser itself.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!hasAptGet || !isRoot || process.env.CHROMIUM_PATH) {
  console.error(`ensure-chromium: no Chromium at ${path}; the browser tests (test/browser) will fail.\n`
    + '  Install it with: sudo apt-get install -y chromium   (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium binary.');
  process.exit(0);
}

console.log('ensure-chromium: installing chromium with apt-get (needed by the browser tests)…');
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
if (run(['update']) !== 0 || run(['install', '-y', 'chromium']) !== 0 || !existsSync(path)) {
  // The rest of the suite still runs; the browser tests fail with the same advice.
  console.error(`ensure-chromium: apt-get could not install chromium; the browser tests will fail. Run 'apt-get install -y chromium' by hand.`);
}
