import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { openTfCheckpointNetworks } from './src/weights/tf-checkpoint';
import { saveLayersModelToDir } from './src/io/file-handler';
import { createGenerator } from './src/networks/generator';
await tf.setBackend('cpu');
const m = (l: string) => { const u = process.memoryUsage(); console.log(l.padEnd(30), 'rss', (u.rss / 2**30).toFixed(2), 'ab', (u.arrayBuffers / 2**30).toFixed(2), 'peak', (process.resourceUsage().maxRSS / 2**20).toFixed(2)); };
m('start');
const g = createGenerator({ flavor: 'tf', imgSize: 256 });
m('built');
g.dispose();
m('disposed');
(globalThis as any).gc?.();
m('gc');
const o = await openTfCheckpointNetworks('/tmp/tfck/bench/checkpoint/UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing', { discriminators: false, onProgress: (p) => { if (p.variable.includes('linear_0/dense/kernel') && p.bytesRead % (512*2**20) < 64*2**20) m('reading ' + (p.bytesRead/2**30).toFixed(2)); } });
m('opened');
for (const n of ['genA2B', 'genB2A'] as const) {
  const model = await o.load(n);
  m('loaded ' + n);
  await saveLayersModelToDir(model, '/tmp/tfck/bench/w2/' + n);
  m('saved ' + n);
  model.dispose();
  m('disposed ' + n);
}
