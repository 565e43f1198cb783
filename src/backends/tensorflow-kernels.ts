/**
 * Kernels of our own for the native `tensorflow` backend (tfjs-node), each one TensorFlow op
 * where the portable composition would take many: on that backend every kernel call costs tens
 * of microseconds whatever its size, so a training step is bound by how many it makes. They
 * are registered under names tfjs does not use, so nothing of tfjs or tfjs-node is replaced;
 * the ops in this library that use them compose the same result from standard kernels on every
 * other backend ({@link hasKernel}).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Gradient of reflection padding of the two spatial axes of an NHWC tensor: attrs `{ pad }`. */
export const REFLECT_PAD_GRAD = 'UgatitReflectPadGrad';

/**
 * Instance (`over: 'instance'`, per image and channel over H, W) or layer (`'layer'`, per image
 * over H, W, C) standardisation of NHWC `x`, attrs `{ over, eps, unbiased }`: outputs the
 * result and two statistics tensors that {@link STANDARDIZE_GRAD} takes back.
 */
export const STANDARDIZE = 'UgatitStandardize';

/** Gradient of {@link STANDARDIZE}: inputs `{ dy, x, mean, variance }` (its statistics), same attrs. */
export const STANDARDIZE_GRAD = 'UgatitStandardizeGrad';

/** Attributes of {@link STANDARDIZE} and {@link STANDARDIZE_GRAD}. */
export interface StandardizeAttrs {
  over: 'instance' | 'layer';
  eps: number;
  unbiased: boolean;
}

/** The part of tfjs-node's backend these kernels use: it runs a TensorFlow op by name. */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_ATTR_FLOAT: number; TF_ATTR_INT: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: TensorInfo[], count: number): tf.Tensor[];
}

const typeAttr = (b: NodeBackend, name: string, dtype: number) => ({ name, type: b.binding.TF_ATTR_TYPE, value: dtype });

// TensorFlow's FusedBatchNorm in training mode standardises each channel over N, H and W with
// the biased variance, in one pass (and its gradient in one more), where the composition takes
// about eight kernels each way. One image at a time it is instance normalisation; an image
// reshaped to a single channel gives layer normalisation. The unbiased variance is the same
// computation with a scale: (x − μ)/√(n·σ²/(n−1) + ε) = √((n−1)/n) · (x − μ)/√(σ² + ε(n−1)/n).
function fusedBatchNormAttrs(b: NodeBackend, eps: number, training: boolean, withAverage: boolean): unknown[] {
  return [
    typeAttr(b, 'T', b.binding.TF_FLOAT), typeAttr(b, 'U', b.binding.TF_FLOAT),
    { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: eps },
    ...(withAverage ? [{ name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: training },
  ];
}

/** Per image: the shape FusedBatchNorm sees, its channel count, the scale and ε that give our standardisation. */
function standardizeGeometry(shape: number[], a: StandardizeAttrs) {
  const [, h, w, c] = shape as [number, number, number, number];
  const n = a.over === 'instance' ? h * w : h * w * c;
  const k = a.unbiased ? (n - 1) / n : 1;
  return { view: a.over === 'instance' ? [1, h, w, c] : [1, 1, h * w * c, 1], channels: a.over === 'instance' ? c : 1, scale: Math.sqrt(k), eps: a.eps * k };
}

/** Runs `body` on each image of `inputs` (all batch-major, split along axis 0) and concatenates the outputs along axis 0. */
function perImage(b: NodeBackend, batch: number, inputs: tf.Tensor[], body: (images: tf.Tensor[]) => tf.Tensor[]): tf.Tensor[] {
  if (batch === 1) return body(inputs);
  const axis = tf.scalar(0, 'int32');
  const split = inputs.map((t) => b.executeMultipleOutputs('Split', [
    { name: 'num_split', type: b.binding.TF_ATTR_INT, value: batch }, typeAttr(b, 'T', b.binding.TF_FLOAT),
  ], [axis, t], batch));
  const results = Array.from({ length: batch }, (_, i) => body(split.map((parts) => parts[i]!)));
  const joined = results[0]!.map((_, o) => b.executeSingleOutput('ConcatV2', [
    { name: 'N', type: b.binding.TF_ATTR_INT, value: batch }, typeAttr(b, 'T', b.binding.TF_FLOAT), typeAttr(b, 'Tidx', b.binding.TF_INT32),
  ], [...results.map((r) => r[o]!), axis]));
  tf.dispose([axis, ...split.flat(), ...results.flat()]);
  return joined;
}

/** `t` viewed as `shape`: `t` itself when it has that shape already (the caller must not dispose it then). */
function reshape(b: NodeBackend, t: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(t.shape, shape)) return t;
  const s = tf.tensor1d(shape, 'int32');
  const out = b.executeSingleOutput('Reshape', [typeAttr(b, 'T', b.binding.TF_FLOAT), typeAttr(b, 'Tshape', b.binding.TF_INT32)], [t, s]);
  s.dispose();
  return out;
}

const KERNELS: KernelConfig[] = [
  {
    kernelName: REFLECT_PAD_GRAD,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as NodeBackend;
      const pad = (attrs as { pad: number }).pad;
      const paddings = tf.tensor2d([[0, 0], [pad, pad], [pad, pad], [0, 0]], [4, 2], 'int32');
      const dx = b.executeSingleOutput('MirrorPadGrad', [
        typeAttr(b, 'T', b.binding.TF_FLOAT), typeAttr(b, 'Tpaddings', b.binding.TF_INT32),
        { name: 'mode', type: b.binding.TF_ATTR_STRING, value: 'REFLECT' },
      ], [(inputs as NamedTensorInfoMap).dy!, paddings]);
      paddings.dispose();
      return dx;
    },
  },
];

KERNELS.push({
  kernelName: STANDARDIZE,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const b = backend as unknown as NodeBackend;
    const x = (inputs as NamedTensorInfoMap).x as tf.Tensor;
    const g = standardizeGeometry(x.shape, attrs as unknown as StandardizeAttrs);
    const scale = tf.fill([g.channels], g.scale);
    const zero = tf.zeros([g.channels]);
    const empty = tf.zeros([0]);
    const outs = perImage(b, x.shape[0]!, [x], ([image]) => {
      const view = reshape(b, image!, g.view);
      const [y, mean, variance, ...rest] = b.executeMultipleOutputs('FusedBatchNormV3', fusedBatchNormAttrs(b, g.eps, true, true), [view, scale, zero, empty, empty], 6);
      const out = reshape(b, y!, [1, ...x.shape.slice(1)]);
      tf.dispose([mean!, variance!, rest[2]!, ...(view === image ? [] : [view]), ...(out === y ? [] : [y!])]);
      return [out, rest[0]!, rest[1]!];
    });
    tf.dispose([scale, zero, empty]);
    return outs;
  },
}, {
  kernelName: STANDARDIZE_GRAD,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const b = backend as unknown as NodeBackend;
    const { dy, x, mean, variance } = inputs as Record<string, tf.Tensor>;
    const g = standardizeGeometry(x!.shape, attrs as unknown as StandardizeAttrs);
    const scale = tf.fill([g.channels], g.scale);
    const empty = tf.zeros([0]);
    const [dx] = perImage(b, x!.shape[0]!, [dy!, x!, mean!, variance!], ([d, image, m, v]) => {
      const dView = reshape(b, d!, g.view);
      const xView = reshape(b, image!, g.view);
      const [grad, ...rest] = b.executeMultipleOutputs('FusedBatchNormGradV3', fusedBatchNormAttrs(b, g.eps, true, false), [dView, xView, scale, m!, v!, empty], 5);
      const out = reshape(b, grad!, [1, ...x!.shape.slice(1)]);
      tf.dispose([...rest, ...(dView === d ? [] : [dView]), ...(xView === image ? [] : [xView]), ...(out === grad ? [] : [grad!])]);
      return [out];
    });
    tf.dispose([scale, empty]);
    return dx!;
  },
});

for (const config of KERNELS) registerKernel(config);

/**
 * The kernels this library registers on the native `tensorflow` backend (tfjs-node) when it is
 * imported, each under a name of its own (`Ugatit…`), so no kernel of tfjs is replaced; on every
 * other backend the same ops are composed from standard kernels.
 */
export const TENSORFLOW_KERNEL_NAMES: readonly string[] = Object.freeze(KERNELS.map((k) => k.kernelName));

/** Whether the active backend has `kernelName` (one of ours above) registered. */
export function hasKernel(kernelName: string): boolean {
  return getKernel(kernelName, tf.getBackend()) != null;
}
