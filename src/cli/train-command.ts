import { parseArgs } from 'node:util';
import { runTraining } from '../training/run-training';
import { useCliBackend } from './backend';

/** `--help` text of `ugatit-tf train`. */
export const TRAIN_HELP = `Usage: ugatit-tf train --data <dir> [options]

Trains U-GAT-IT on <dir>/{trainA,trainB,testA,testB} exactly as the official PyTorch trainer.

Options:
  --data <dir>          dataset root (required)
  --out <dir>           checkpoints, samples/ and log.jsonl (default runs/ugatit)
  --size <n>            image side (default 96)
  --ngf <n>             generator width (default 64); --ndf <n> discriminator width (default ngf)
  --blocks <n>          residual blocks (default 4)
  --light / --full      light (default) or full generator
  --iterations <n>      total iterations (default 100000)
  --batch <n>           batch size (default 1)
  --lr <x>              learning rate (default 1e-4)
  --no-decay            no linear decay over the second half
  --seed <n>            data order and augmentation seed (default 0)
  --sample-every <n>    sample sheets every n iterations (default 500)
  --save-every <n>      checkpoint every n iterations (default 500)
  --print-every <n>     a log line every n iterations (default 10)
  --resume              continue from the newest checkpoint in --out
  --init <dir>          start from the networks of another run's checkpoint
  --backend <name>      wasm (default), cpu or tensorflow
`;

/** Runs `ugatit-tf train`. */
export async function trainCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, out: { type: 'string', default: 'runs/ugatit' }, size: { type: 'string', default: '96' },
      ngf: { type: 'string', default: '64' }, ndf: { type: 'string' }, blocks: { type: 'string', default: '4' },
      light: { type: 'boolean' }, full: { type: 'boolean' }, iterations: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '1' }, lr: { type: 'string', default: '1e-4' }, 'no-decay': { type: 'boolean' },
      seed: { type: 'string', default: '0' }, 'sample-every': { type: 'string', default: '500' },
      'save-every': { type: 'string', default: '500' }, 'print-every': { type: 'string', default: '10' },
      resume: { type: 'boolean' }, init: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
    },
    strict: true,
  });
  if (!v.data) throw new Error('train: --data <dir> is required (see ugatit-tf train --help)');
  const int = (name: string, s: string | undefined) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`train: --${name} must be a non-negative integer, received ${s}`);
    return n;
  };
  await useCliBackend(v.backend!);
  const printEvery = Math.max(1, int('print-every', v['print-every']));
  let window = 0;
  await runTraining({
    data: v.data, out: v.out!, size: int('size', v.size), ngf: int('ngf', v.ngf), ndf: v.ndf ? int('ndf', v.ndf) : undefined,
    nBlocks: int('blocks', v.blocks), light: !v.full, iterations: int('iterations', v.iterations), batchSize: int('batch', v.batch),
    lr: Number(v.lr), decay: !v['no-decay'], seed: int('seed', v.seed), sampleEvery: int('sample-every', v['sample-every']),
    saveEvery: int('save-every', v['save-every']), resume: v.resume, init: v.init,
    log: (m) => console.log(m),
    onStep: (r, trainer) => {
      window += r.seconds;
      if (r.iteration % printEvery === 0) {
        const l = r.losses;
        console.log(`[${r.iteration}/${trainer.iterations}] ${(window / printEvery).toFixed(2)} s/it  d_loss ${l.D_loss.toFixed(5)}  g_loss ${l.G_loss.toFixed(5)}  cycle ${((l.G_recon_A + l.G_recon_B) / 2).toFixed(4)}  lr ${r.lr.toExponential(2)}`);
        window = 0;
      }
    },
  });
}
