/**
 * The bench workloads: generator inference and reference training iterations, each a
 * factory that builds its networks once and returns the timed function.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createDiscriminator, createGenerator, NETWORK_NAMES, UGATITTrainer } from '../src';
import type { GeneratorConfig, UGATITNetworks } from '../src';

/** A prepared workload: `run` is timed; `dispose` frees its networks. */
export interface Prepared {
  /** One measured unit of work; resolves once every output has been read back. */
  run(): Promise<void>;
  /** Items (images or iterations) one `run` processes, for throughput. */
  items: number;
  /** Extra measurements the workload records while running (e.g. a memory trace). */
  extra?: Record<string, unknown>;
  dispose(): void;
}

/** A named workload. */
export interface Workload {
  name: string;
  description: string;
  /** Unit `items` count in (for the throughput column). */
  unit: 'image' | 'iteration' | 'call';
  /** Default timed runs (after one warm-up). */
  runs: number;
  /** Part of the default set (`--only` selects the others). */
  default: boolean;
  prepare(): Promise<Prepared>;
}

async function inference(config: GeneratorConfig, batch: number): Promise<Prepared> {
  const model = createGenerator(config);
  const size = config.imgSize ?? 256;
  const x = tf.randomUniform([batch, size, size, config.inputChannels ?? 3], -1, 1) as tf.Tensor4D;
  return {
    items: batch,
    async run() {
      const outs = model.predict(x) as tf.Tensor[];
      await Promise.all(outs.map((o) => o.data()));
      tf.dispose(outs);
    },
    dispose() {
      x.dispose();
      model.dispose();
    },
  };
}

function networks(g: GeneratorConfig, ndf: number): UGATITNetworks {
  return {
    genA2B: createGenerator({ ...g, name: 'genA2B' }),
    genB2A: createGenerator({ ...g, name: 'genB2A' }),
    disGA: createDiscriminator({ ndf, nLayers: 7, name: 'disGA' }),
    disGB: createDiscriminator({ ndf, nLayers: 7, name: 'disGB' }),
    disLA: createDiscriminator({ ndf, nLayers: 5, name: 'disLA' }),
    disLB: createDiscriminator({ ndf, nLayers: 5, name: 'disLB' }),
  };
}

async function training(size: number, ngf: number, light: boolean): Promise<Prepared> {
  const nets = networks({ ngf, nBlocks: 4, imgSize: size, light }, ngf);
  const trainer = new UGATITTrainer(nets, { iterations: 1_000_000 });
  const realA = tf.randomUniform([1, size, size, 3], -1, 1) as tf.Tensor4D;
  const realB = tf.randomUniform([1, size, size, 3], -1, 1) as tf.Tensor4D;
  return {
    items: 1,
    async run() {
      await trainer.step(realA, realB);
    },
    dispose() {
      tf.dispose([realA, realB]);
      trainer.dispose();
      for (const n of NETWORK_NAMES) (nets[n] as tfl.LayersModel).dispose();
    },
  };
}

/** Small generator called many times in a row: memory must not grow. */
async function repeated(calls: number): Promise<Prepared> {
  const inner = await inference({ ngf: 8, nBlocks: 2, imgSize: 32, light: true }, 1);
  const trace: Array<{ call: number; rssMiB: number; heapMiB: number; numTensors: number; numBytes: number }> = [];
  return {
    items: calls,
    extra: { trace },
    async run() {
      trace.length = 0;
      for (let i = 1; i <= calls; i++) {
        await inner.run();
        if (i === 1 || i % (calls / 10) === 0) {
          const m = process.memoryUsage();
          const t = tf.memory();
          trace.push({ call: i, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, numTensors: t.numTensors, numBytes: t.numBytes });
        }
      }
    },
    dispose: inner.dispose,
  };
}

/** Every workload, in table order. */
export const WORKLOADS: Workload[] = [
  {
    name: 'light256', description: 'light generator (ngf 64, 4 blocks) 256², 1 image: latency', unit: 'image', runs: 3, default: true,
    prepare: () => inference({ ngf: 64, nBlocks: 4, imgSize: 256, light: true }, 1),
  },
  {
    name: 'light256x4', description: 'light generator 256², batch of 4: throughput', unit: 'image', runs: 2, default: true,
    prepare: () => inference({ ngf: 64, nBlocks: 4, imgSize: 256, light: true }, 4),
  },
  {
    name: 'light64', description: 'light generator (ngf 64, 4 blocks) 64², 1 image: short run for the cpu backend', unit: 'image', runs: 1,
    default: false, prepare: () => inference({ ngf: 64, nBlocks: 4, imgSize: 64, light: true }, 1),
  },
  {
    name: 'full256', description: 'full generator (ngf 64, 4 blocks) 256², 1 image', unit: 'image', runs: 2, default: true,
    prepare: () => inference({ ngf: 64, nBlocks: 4, imgSize: 256, light: false }, 1),
  },
  {
    name: 'train128', description: 'one training iteration, 128², ngf 16, light, batch 1', unit: 'iteration', runs: 3, default: true,
    prepare: () => training(128, 16, true),
  },
  {
    name: 'train256', description: 'one training iteration, 256², ngf 64, light, batch 1 (long)', unit: 'iteration', runs: 1, default: false,
    prepare: () => training(256, 64, true),
  },
  {
    name: 'repeat1000', description: '1000 calls of a small generator (ngf 8, 2 blocks, 32²): memory growth', unit: 'call', runs: 1,
    default: true, prepare: () => repeated(1000),
  },
];
