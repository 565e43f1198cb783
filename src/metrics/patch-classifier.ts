/**
 * The small CNN behind this library's image metrics (the domain classifier, the two-sample
 * critic, the style feature network) and its seeded training loop.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { RNG } from '../data/rng';
import { UGATITConfigError } from '../errors';
import { normalDrawSeed } from '../layers/tfjs-internals';

/**
 * Resizes NHWC images in [-1, 1] to `size`² with bilinear filtering (align corners), the input
 * of a {@link buildPatchClassifier} network. Returns a new float32 tensor.
 */
export function resizeForClassifier(images: tf.Tensor4D, size: number): tf.Tensor4D {
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new UGATITConfigError(`expected NHWC RGB images, got shape [${images.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const x = tf.cast(images, 'float32');
    const [, h, w] = images.shape;
    if (h === size && w === size) return tf.clone(x);
    return tf.image.resizeBilinear(x, [size, size], true);
  });
}

/** Options of {@link buildPatchClassifier}. */
export interface PatchClassifierOptions {
  /** Side in pixels of the square RGB input; must be divisible by 2 once per stage. Default 64. */
  inputSize?: number;
  /** Output channels of the downsampling stages, one 2×2 stride-2 stage each. Default `[16, 32, 64, 64]`. */
  filters?: readonly number[];
  /** Output units: 1 is one sigmoid unit (a binary classifier), more are a softmax over classes. Default 1. */
  classes?: number;
  /** Seed of the weight initialisation. Default 0. */
  seed?: number;
}

/**
 * Builds an untrained classifier: 2×2 stride-2 convolutions with ReLU (one per entry of
 * `filters`), global average pooling, and a dense head (sigmoid for one class, softmax for
 * more). The pooled vector, the output of the second-to-last layer, is the network's
 * feature vector. Input `[batch, inputSize, inputSize, 3]` in [-1, 1].
 *
 * Each convolution is written as space-to-depth (`reshape` + `permute`) followed by a `dense`
 * layer on the channel axis, which is the same linear map as `conv2d({kernelSize: 2,
 * strides: 2})`. The reason is training speed: the gradients then only need reshape, transpose
 * and matMul kernels, which are fast on the tfjs `cpu` and `wasm` backends, whereas the `cpu`
 * backend's `Conv2DBackpropFilter` is an element-by-element loop (over 50× slower than the
 * forward pass) and `wasm` has no `Conv2DBackpropFilter` at all.
 */
export function buildPatchClassifier(options: PatchClassifierOptions = {}): tfl.Sequential {
  const { inputSize = 64, filters = [16, 32, 64, 64], classes = 1, seed = 0 } = options;
  if (!Number.isInteger(classes) || classes < 1) throw new UGATITConfigError(`buildPatchClassifier: classes must be a positive integer, received ${classes}`);
  if (filters.length === 0 || !Number.isInteger(inputSize) || inputSize % 2 ** filters.length !== 0) {
    throw new UGATITConfigError(`buildPatchClassifier: inputSize must be divisible by 2^${filters.length} (one halving per stage), received ${inputSize}`);
  }
  const model = tfl.sequential();
  let side = inputSize;
  let channels = 3;
  filters.forEach((units, i) => {
    const half = side / 2;
    model.add(
      tfl.layers.reshape({
        ...(i === 0 ? { inputShape: [side, side, channels] } : {}),
        targetShape: [half, 2, half, 2, channels],
      }),
    );
    // [h/2, 2, w/2, 2, c] -> [h/2, w/2, 2, 2, c]: every 2×2 patch becomes one pixel of 4c values.
    model.add(tfl.layers.permute({ dims: [1, 3, 2, 4, 5] }));
    model.add(tfl.layers.reshape({ targetShape: [half, half, 4 * channels] }));
    model.add(
      tfl.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tfl.initializers.heNormal({ seed: normalDrawSeed(seed * 31 + i) }),
      }),
    );
    side = half;
    channels = units;
  });
  model.add(tfl.layers.globalAveragePooling2d({}));
  model.add(
    tfl.layers.dense({
      units: classes,
      activation: classes === 1 ? 'sigmoid' : 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 31 + filters.length }),
    }),
  );
  return model;
}

/**
 * The feature extractor of a classifier built by {@link buildPatchClassifier}: a model sharing
 * its layers that outputs the pooled features (the second-to-last layer), `[batch, filters.at(-1)]`.
 * Disposing the classifier disposes its weights (dispose only one of the two: they share layers).
 */
export function patchClassifierFeatures(classifier: tfl.LayersModel): tfl.LayersModel {
  const pooled = classifier.layers[classifier.layers.length - 2];
  if (pooled === undefined || pooled.getClassName() !== 'GlobalAveragePooling2D') {
    throw new UGATITConfigError(`patchClassifierFeatures: expected a global average pooling layer before the head, found ${pooled?.getClassName()}`);
  }
  return tfl.model({ inputs: classifier.inputs, outputs: pooled.output as tfl.SymbolicTensor });
}

/** Options of {@link fitClassifier}. */
export interface FitClassifierOptions {
  /** Passes over the training data. Default 5. */
  epochs?: number;
  /** Seed of the shuffling. Default 0. */
  seed?: number;
  /** Mini-batch size. Default 32. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** Called after every epoch with its mean loss and training accuracy. */
  onEpochEnd?: (epoch: number, logs: { loss: number; acc: number }) => void;
}

/**
 * Trains `model` on `x` → `y` with Adam, shuffling every epoch with its own seeded PRNG (tfjs'
 * `shuffle: true` would use Math.random), so the same seed, data and backend give the same
 * weights. The loss is binary cross-entropy for one output unit (labels `[n, 1]` of 0/1) and
 * categorical cross-entropy for more (one-hot labels). The Adam optimizer, which a compiled model
 * does not own, is disposed before returning; `x` and `y` are not.
 */
export async function fitClassifier(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, options: FitClassifierOptions = {}): Promise<void> {
  const { epochs = 5, seed = 0, batchSize = 32, learningRate = 1e-3, onEpochEnd } = options;
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new UGATITConfigError(`fitClassifier: ${n} images but ${y.shape[0]} labels`);
  const rng = new RNG(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const optimizer = tf.train.adam(learningRate);
  const binary = y.shape[1] === 1;
  model.compile({ optimizer, loss: binary ? 'binaryCrossentropy' : 'categoricalCrossentropy', metrics: ['accuracy'] });
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      rng.shuffle(order);
      const idx = tf.tensor1d(order, 'int32');
      const xs = tf.gather(x, idx);
      const ys = tf.gather(y, idx);
      try {
        const h = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
        const loss = Number(h.history.loss[0]);
        const acc = Number((h.history.acc ?? h.history.accuracy)?.[0]);
        onEpochEnd?.(epoch, { loss, acc });
      } finally {
        tf.dispose([idx, xs, ys]);
      }
    }
  } finally {
    optimizer.dispose();
  }
}

/**
 * {@link fitClassifier} for a model built for this call, from training tensors made for it: they
 * are always disposed, and so is the model if training fails; the trained model is returned.
 */
export async function fitFreshClassifier(
  model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, options: FitClassifierOptions = {},
): Promise<tfl.LayersModel> {
  try {
    await fitClassifier(model, x, y, options);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([x, y]);
  }
}
