// `npm test` runs the golden suites on the native `tensorflow` backend too. This prepares it
// (tfjs-node's binding built against a TensorFlow wheel from pip, see `ugatit-tf
// setup-tensorflow`); where that cannot be done, it says why, loudly, and the tensorflow
// suites are reported skipped with that reason (test/helpers/backends.ts reads it back).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setupTensorflow } from '../src/native/setup-tensorflow';

const STATUS_FILE = path.join('.tmp', 'tensorflow-backend.json');
mkdirSync(path.dirname(STATUS_FILE), { recursive: true });
try {
  const r = await setupTensorflow({ onProgress: (m) => console.log(`ensure-tensorflow: ${m}`) });
  writeFileSync(STATUS_FILE, JSON.stringify({ available: true, tensorflowVersion: r.tensorflowVersion }) + '\n');
} catch (e) {
  const reason = (e as Error).message;
  writeFileSync(STATUS_FILE, JSON.stringify({ available: false, reason }) + '\n');
  const bar = '!'.repeat(100);
  console.error(`${bar}\nensure-tensorflow: the native tensorflow backend could not be prepared; its golden suites will be SKIPPED:\n${reason}\n${bar}`);
}
