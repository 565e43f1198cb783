/**
 * `npm run bench [-- options]`: times U-GAT-IT inference and training workloads on one tfjs
 * backend, each workload in a fresh Node process so that its peak RSS is its own.
 *
 *   --backend name       tensorflow, wasm or cpu (default wasm)
 *   --only a,b           workloads to run (default: the default set; see --list)
 *   --runs N             timed runs per workload after one warm-up (default: per workload)
 *   --json file          also write the results as JSON
 *   --threads N          wasm only: the threaded SIMD build with N threads (default: single-threaded)
 *   --pytorch-threads N  PyTorch threads for the side-by-side run (default: the threads ours
 *                        uses: TensorFlow's intra-op pool, $TF_NUM_INTRAOP_THREADS or every core;
 *                        wasm's --threads; 1 on cpu)
 *   --no-pytorch         skip bench/pytorch (default: run it after ours and print the ratios)
 *   --list               list the workloads and exit
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mib, summarize, table, type Summary } from './stats';
import { runPytorchSide, type PytorchSide } from './pytorch-side';
import { WORKLOADS } from './workloads';

interface Options { backend: string; only?: string[]; runs?: number; json?: string; list: boolean; worker?: string; threads?: number; pytorch: boolean; pytorchThreads?: number }

/** Result of one workload. */
export interface WorkloadResult {
  name: string;
  description: string;
  backend: string;
  /** Threads of the backend's pool (1 unless --threads). */
  threads: number;
  unit: string;
  items: number;
  /** Wall-clock seconds per run. */
  seconds: Summary;
  /**
   * CPU seconds (user + system) of this process per run: on a shared machine this is far
   * less disturbed by other processes than wall time (for a single-threaded backend it is
   * the time the run would take on an idle core).
   */
  cpuSeconds: Summary;
  /** Seconds of the warm-up run (includes one-time kernel/weight setup). */
  warmupSeconds: number;
  /** Items per second at the median. */
  throughput: number;
  prepareSeconds: number;
  peakRssBytes: number;
  memory: { before: { numTensors: number; numBytes: number }; afterRuns: { numTensors: number; numBytes: number }; afterDispose: { numTensors: number; numBytes: number } };
  extra?: Record<string, unknown>;
  error?: string;
}

function parse(argv: string[]): Options {
  const o: Options = { backend: 'wasm', list: false, pytorch: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backend') o.backend = next();
    else if (a === '--only') o.only = next().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--json') o.json = next();
    else if (a === '--list') o.list = true;
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--worker') o.worker = next();
    else if (a === '--no-pytorch') o.pytorch = false;
    else if (a === '--pytorch-threads') o.pytorchThreads = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (o.pytorchThreads !== undefined && !(Number.isInteger(o.pytorchThreads) && o.pytorchThreads >= 1)) throw new Error(`--pytorch-threads must be a positive integer, received ${o.pytorchThreads}`);
  if (o.runs !== undefined && !(Number.isInteger(o.runs) && o.runs >= 1)) throw new Error(`--runs must be a positive integer, received ${o.runs}`);
  if (o.only) {
    for (const n of o.only) {
      if (!WORKLOADS.some((w) => w.name === n)) throw new Error(`unknown workload ${n}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
    }
  }
  return o;
}

/** Runs one workload in this process and prints its result as the last stdout line. */
async function worker(o: Options): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const { useCliBackend } = await import('../src/cli/backend');
  let threads = 1;
  if (o.threads !== undefined) {
    if (o.backend !== 'wasm') throw new Error('--threads needs --backend wasm');
    await import('@tensorflow/tfjs-backend-wasm');
    const { useWasmThreadsInNode } = await import('../src/backends/wasm-threads-node');
    threads = await useWasmThreadsInNode(o.threads);
  } else {
    await useCliBackend(o.backend);
    if (o.backend === 'tensorflow') threads = tensorflowThreads();
  }
  const w = WORKLOADS.find((x) => x.name === o.worker)!;
  const memOf = () => { const m = tf.memory(); return { numTensors: m.numTensors, numBytes: m.numBytes }; };
  const before = memOf();
  let t0 = performance.now();
  const prepared = await w.prepare();
  const prepareSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await prepared.run();
  const warmupSeconds = (performance.now() - t0) / 1000;
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < (o.runs ?? w.runs); i++) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    await prepared.run();
    samples.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpuSamples.push((c.user + c.system) / 1e6);
  }
  const afterRuns = memOf();
  prepared.dispose();
  const afterDispose = memOf();
  const seconds = summarize(samples);
  const result: WorkloadResult = {
    name: w.name, description: w.description, backend: tf.getBackend(), threads, unit: w.unit, items: prepared.items, seconds, cpuSeconds: summarize(cpuSamples), warmupSeconds,
    throughput: prepared.items / seconds.median, prepareSeconds, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    memory: { before, afterRuns, afterDispose }, extra: prepared.extra,
  };
  // Exit explicitly: the threaded wasm build's pthread workers would keep the process alive.
  process.stdout.write(`\n${JSON.stringify(result)}\n`, () => process.exit(0));
}

/** TensorFlow's intra-op pool: $TF_NUM_INTRAOP_THREADS where set, else one thread per core. */
function tensorflowThreads(): number {
  const n = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(n) && n > 0 ? n : cpus().length;
}

/** Our backend's thread count, which PyTorch gets too unless --pytorch-threads says otherwise. */
function oursThreads(o: Options): number {
  if (o.backend === 'tensorflow') return tensorflowThreads();
  return o.threads ?? 1;
}

function sideBySide(results: WorkloadResult[], side: PytorchSide): string {
  if ('unavailable' in side) return `PyTorch side skipped: ${side.unavailable}`;
  const rows = results.filter((r) => !r.error).flatMap((r) => {
    const p = side.results.find((x) => x.name === r.name);
    if (!p) return [];
    const ours = r.seconds.median / r.items;
    return [[r.name, `${ours.toFixed(3)} s`, `${p.secondsPerItem.toFixed(3)} s`, `${(ours / p.secondsPerItem).toFixed(2)}×`, `${(r.cpuSeconds.median / r.items / p.cpuSecondsPerItem).toFixed(2)}×`]];
  });
  return `side by side, per ${results.some((r) => r.unit === 'iteration') ? 'image or iteration' : 'image'} (torch ${side.torch}, ${side.threads} thread(s)):\n${table(['workload', 'ugatit-tf', 'PyTorch', 'time ratio', 'cpu ratio'], rows)}`;
}

function runChild(o: Options, name: string): WorkloadResult {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--worker', name, '--backend', o.backend];
  if (o.runs !== undefined) args.push('--runs', String(o.runs));
  if (o.threads !== undefined) args.push('--threads', String(o.threads));
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as WorkloadResult;
  } catch {
    const w = WORKLOADS.find((x) => x.name === name)!;
    return { name, description: w.description, error: `exit ${child.status}: ${child.stdout.slice(-500)}` } as WorkloadResult;
  }
}

function render(results: WorkloadResult[]): string {
  const rows = results.map((r) => r.error
    ? [r.name, 'error', '', '', '', '', '', '', '']
    : [
      r.name,
      `${r.seconds.median.toFixed(3)} s`,
      `±${(r.seconds.spread * 50).toFixed(1)}%`,
      `${r.cpuSeconds.median.toFixed(3)} s`,
      `${r.warmupSeconds.toFixed(2)} s`,
      `${r.throughput.toFixed(r.throughput < 10 ? 3 : 1)} ${r.unit}/s`,
      mib(r.peakRssBytes),
      `${r.memory.before.numTensors}→${r.memory.afterRuns.numTensors}→${r.memory.afterDispose.numTensors}`,
      String(r.seconds.samples.length),
    ]);
  return table(['workload', 'median/run', 'spread', 'cpu/run', 'warm-up', 'throughput', 'peak RSS', 'tensors (before→runs→disposed)', 'runs'], rows);
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (o.worker) return worker(o);
  if (o.list) {
    for (const w of WORKLOADS) console.log(`${w.name.padEnd(12)} ${w.default ? 'default ' : 'optional'} ${w.description}`);
    return;
  }
  const names = o.only ?? WORKLOADS.filter((w) => w.default).map((w) => w.name);
  const results: WorkloadResult[] = [];
  for (const name of names) {
    process.stderr.write(`bench: ${name} on ${o.backend}…\n`);
    const r = runChild(o, name);
    results.push(r);
    if (r.error) process.stderr.write(`bench: ${name} failed: ${r.error}\n`);
  }
  const pytorch: PytorchSide = o.pytorch ? runPytorchSideLogged(names, o) : { unavailable: '--no-pytorch' };
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: process.platform };
  console.log(`backend ${o.backend} (${oursThreads(o)} thread(s)); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  console.log(render(results));
  console.log(sideBySide(results, pytorch));
  for (const r of results) {
    const trace = r.extra?.trace as Array<{ call: number; rssMiB: number; numTensors: number }> | undefined;
    if (trace?.length) {
      console.log(`${r.name}: RSS ${trace.map((t) => `${t.call}:${t.rssMiB.toFixed(0)}`).join(' ')} MiB; tensors ${trace.map((t) => t.numTensors).join(' ')}`);
    }
  }
  if (o.json) writeFileSync(o.json, `${JSON.stringify({ date: new Date().toISOString(), machine, loadAverage: loadavg(), backend: o.backend, threads: oursThreads(o), results, pytorch }, null, 2)}\n`);
}

function runPytorchSideLogged(names: string[], o: Options): PytorchSide {
  const threads = o.pytorchThreads ?? oursThreads(o);
  process.stderr.write(`bench: the same workloads on PyTorch (${threads} thread(s))…\n`);
  return runPytorchSide(names, threads, o.runs);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
