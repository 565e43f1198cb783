// Which kernels actually ran, and on which backend. Free of Node APIs: the browser test page
// bundles this file to record what webgl and webgpu executed.
import * as tf from '@tensorflow/tfjs-core';

/** Kernel names that ran, sorted, per backend. */
export type KernelLog = Record<string, string[]>;

type RunKernel = (name: string, inputs: tf.NamedTensorMap, attrs?: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[];

/**
 * Runs `run` with tfjs' engine recording every registered kernel it dispatches, under the
 * backend active at that moment. Ops, gradients and tensor clones all reach backends through
 * `engine.runKernel`; custom-gradient scopes do not (their inner kernels are recorded), and
 * a kernel that throws is not counted. Kernels a backend's own kernel dispatches (tfjs-node's
 * ClipByValue runs Minimum and Maximum) are that backend's implementation and are left out.
 * The engine is restored afterwards.
 */
export async function recordKernels<T>(run: () => Promise<T>): Promise<{ result: T; kernels: KernelLog }> {
  const engine = tf.engine() as unknown as { runKernel: RunKernel; backendName: string };
  if (Object.prototype.hasOwnProperty.call(engine, 'runKernel')) throw new Error('recordKernels: already recording');
  const seen = new Map<string, Set<string>>();
  const original = engine.runKernel;
  let depth = 0;
  engine.runKernel = function (this: typeof engine, name, inputs, attrs) {
    const backend = this.backendName;
    depth++;
    try {
      const out = original.call(this, name, inputs, attrs);
      if (depth === 1) (seen.get(backend) ?? seen.set(backend, new Set()).get(backend)!).add(name);
      return out;
    } finally {
      depth--;
    }
  };
  try {
    const result = await run();
    return { result, kernels: Object.fromEntries([...seen].map(([b, names]) => [b, [...names].sort()])) };
  } finally {
    delete (engine as Partial<typeof engine>).runKernel;
  }
}
