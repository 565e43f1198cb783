import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { UGATITConfigError } from '../errors';
import { runTraining } from '../training/run-training';
import type { StepResult } from '../training/trainer';
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
                        (with --init these four come from the networks; given, they must match)
  --iterations <n>      total iterations (default 100000; with --resume, the run's own)
  --batch <n>           batch size (default 1)
  --lr <x>              learning rate (default 1e-4)
  --no-decay            no linear decay over the second half
  --seed <n>            data order and augmentation seed (default 0)
  --average <decay>     also keep an exponential moving average of both generators (e.g. 0.999),
                        saved in each checkpoint's average/ (translate --weights <ckpt>/average)
                        and drawn in the samples; training is unchanged (default: none; with
                        --resume, the run's own)
  --sample-every <n>    sample sheets every n iterations (default 500)
  --save-every <n>      checkpoint every n iterations (default 500)
  --keep <n>            checkpoints kept (default 2)
                        (with --resume, these three are the run's own unless given)
  --print-every <n>     a log line every n iterations when not on a terminal (default 10)
  --on-non-finite <m>   stop (default) or skip a step whose loss is NaN or infinite
  --resume              continue from the newest checkpoint in --out
  --init <dir|name>     start from six networks (fresh optimizers): a training run or ckpt-*
                        folder, a weights folder with all six, or provided weights by name
                        (avatars; its discriminators: npm i ugatit-tf-avatars-discriminators)
  --backend <name>      auto (default: tensorflow when @tensorflow/tfjs-node(-gpu) is installed,
                        else wasm), tensorflow, wasm or cpu; the backend used is printed
  --threads <n>         wasm threads, 1 to 8 (default 1: a step is thousands of small kernels,
                        and a second thread gains ≈ 1.15× on an idle machine, less on a busy one);
                        tensorflow uses its own thread pools

On a terminal a progress bar shows the iteration, s/it, ETA and the main losses; otherwise a
line is printed every --print-every iterations. Every iteration is logged to <out>/log.jsonl.
Ctrl-C finishes the current iteration, saves a checkpoint and exits (--resume continues).
`;

/** What the progress display shows of one iteration. */
function summary(r: StepResult): { d: string; g: string; cycle: string; lr: string } {
  const l = r.losses;
  return { d: l.D_loss.toFixed(4), g: l.G_loss.toFixed(3), cycle: ((l.G_recon_A + l.G_recon_B) / 2).toFixed(4), lr: r.lr.toExponential(2) };
}

/** Runs `ugatit-tf train`. */
export async function trainCommand(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, out: { type: 'string', default: 'runs/ugatit' }, size: { type: 'string', default: '96' },
      ngf: { type: 'string' }, ndf: { type: 'string' }, blocks: { type: 'string' },
      light: { type: 'boolean' }, full: { type: 'boolean' }, iterations: { type: 'string' },
      batch: { type: 'string', default: '1' }, lr: { type: 'string', default: '1e-4' }, 'no-decay': { type: 'boolean' },
      seed: { type: 'string', default: '0' }, 'sample-every': { type: 'string' },
      'save-every': { type: 'string' }, keep: { type: 'string' }, 'print-every': { type: 'string', default: '10' },
      'on-non-finite': { type: 'string', default: 'stop' },
      resume: { type: 'boolean' }, init: { type: 'string' }, backend: { type: 'string', default: 'auto' },
      threads: { type: 'string', default: '1' }, average: { type: 'string' },
    },
    strict: true,
  });
  if (!v.data) throw new UGATITConfigError('train: --data <dir> is required (see ugatit-tf train --help)');
  const int = (name: string, s: string | undefined, min = 0) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new UGATITConfigError(`train: --${name} must be an integer ≥ ${min}, received ${s}`);
    return n;
  };
  const optionalInt = (name: string, s: string | undefined, min = 0) => (s === undefined ? undefined : int(name, s, min));
  const lr = Number(v.lr);
  if (!(Number.isFinite(lr) && lr >= 0)) throw new UGATITConfigError(`train: --lr must be a number ≥ 0, received ${v.lr}`);
  const averageDecay = v.average === undefined ? undefined : Number(v.average);
  if (averageDecay !== undefined && !(averageDecay >= 0 && averageDecay < 1)) {
    throw new UGATITConfigError(`train: --average must be a decay in [0, 1), received ${v.average}`);
  }
  const onNonFinite = v['on-non-finite'];
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip') throw new UGATITConfigError(`train: --on-non-finite must be stop or skip, received ${onNonFinite}`);
  const printEvery = int('print-every', v['print-every'], 1);
  const backend = await useCliBackend(v.backend!, int('threads', v.threads, 1));

  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    say('stopping after this iteration and saving a checkpoint (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  const interactive = process.stdout.isTTY === true;
  const bars = interactive
    ? new cliProgress.MultiBar({
      format: '{bar} {value}/{total} | {sPerIt} s/it | ETA {eta_formatted} | d {d} g {g} cycle {cycle} lr {lr}',
      hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5,
    }, cliProgress.Presets.shades_classic)
    : null;
  let bar: cliProgress.SingleBar | null = null;
  const say = (m: string) => (bars ? bars.log(`${m}\n`) : console.log(m));
  say(`training on ${backend}`);
  let window = 0;
  let count = 0;
  try {
    await runTraining({
      data: v.data, out: v.out!, size: int('size', v.size, 1), ngf: v.ngf ? int('ngf', v.ngf, 1) : undefined, ndf: v.ndf ? int('ndf', v.ndf, 1) : undefined,
      nBlocks: v.blocks ? int('blocks', v.blocks) : undefined, light: v.full ? false : v.light ? true : undefined, iterations: v.iterations ? int('iterations', v.iterations, 1) : v.resume ? undefined : 100_000, batchSize: int('batch', v.batch, 1),
      lr, decay: !v['no-decay'], seed: int('seed', v.seed), averageDecay, sampleEvery: optionalInt('sample-every', v['sample-every']),
      saveEvery: optionalInt('save-every', v['save-every']), keep: optionalInt('keep', v.keep, 1), resume: v.resume, init: v.init, onNonFinite,
      signal: stop.signal, log: say,
      onStep: (r, trainer) => {
        window += r.seconds;
        count++;
        if (bars) {
          bar ??= bars.create(trainer.iterations, r.iteration - 1, { sPerIt: '-', d: '-', g: '-', cycle: '-', lr: '-' });
          bar.update(r.iteration, { sPerIt: (window / count).toFixed(2), ...summary(r) });
          if (count >= 20) { window = 0; count = 0; }
        } else if (r.iteration % printEvery === 0) {
          const s = summary(r);
          console.log(`[${r.iteration}/${trainer.iterations}] ${(window / count).toFixed(2)} s/it  d_loss ${s.d}  g_loss ${s.g}  cycle ${s.cycle}  lr ${s.lr}`);
          window = 0;
          count = 0;
        }
      },
    });
  } finally {
    bars?.stop();
    process.off('SIGINT', onSigint);
  }
}
