import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
// The wasm backend lacks some gradient kernels (Conv2DBackpropFilter…); the library registers them on import.
import '../../src/backends';

type Kwargs = Record<string, unknown>;

/** What {@link expectLayerContract} checks one layer against. */
export interface LayerContract {
  /** A fresh, unbuilt layer; called more than once. */
  make: () => tfl.layers.Layer;
  /** Full input shapes, batch first; more than one for a multi-input layer (passed as a list). */
  inputShapes: number[][];
  /** Expected eager output shapes, batch first; the symbolic ones are the same with a `null` batch. */
  outputShapes: number[][];
  /** Expected number of trainable weights. */
  trainableWeights: number;
  /** Expected number of non-trainable weights. Default 0. */
  nonTrainableWeights?: number;
  /** kwargs of the eager and gradient calls (e.g. `{ training: true }`). Default none. */
  kwargs?: Kwargs;
  /** Seed of the random inputs and of the fixed tensors the outputs are weighted by. Default 1. */
  seed?: number;
}

/** What {@link expectLayerContract} hands back for extra checks; disposed by the contract when it returns. */
export interface LayerContractResult {
  /** The layer's config after the JSON round trip. */
  config: tf.serialization.ConfigDict;
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
// JSON has no undefined: an unset seed comes back as null.
const canonical = (config: unknown) => JSON.parse(JSON.stringify(config, (_, v) => (v === undefined ? null : v)));
const asList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

function expectAllFinite(t: tf.Tensor, label: string): void {
  const data = t.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${label}: element #${i} is ${data[i]}`);
  }
}

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]);
}

/**
 * The checks every layer of this library passes (after keras-hub's `run_layer_test`):
 * - a symbolic call inside a functional model gives the expected shapes (batch `null`);
 * - the model's JSON rebuilds through `tf.models.modelFromJSON` with the same layer config,
 *   and with the weights copied gives the same outputs, element for element;
 * - an eager call gives the expected shapes, and the expected trainable / non-trainable
 *   weight counts;
 * - every trainable weight gets a finite, non-zero gradient of Σ outputs · R (R fixed random),
 *   and the gradients with respect to the inputs are finite;
 * - no call leaks a tensor, and disposing the models frees every tensor they made.
 */
export async function expectLayerContract(c: LayerContract): Promise<LayerContractResult> {
  const seed = c.seed ?? 1;
  const kwargs = c.kwargs ?? {};
  const nonTrainable = c.nonTrainableWeights ?? 0;
  const start = tf.memory().numTensors;

  // Symbolic call in a functional model.
  const layer = c.make();
  const symbolicInputs = c.inputShapes.map((s, i) => tfl.input({ shape: s.slice(1), name: `input_${i}` }));
  const symbolicOut = asList(layer.apply(symbolicInputs.length === 1 ? symbolicInputs[0] : symbolicInputs) as
    tfl.SymbolicTensor | tfl.SymbolicTensor[]);
  expect(symbolicOut.map((o) => o.shape), `${layer.name}: symbolic output shapes`)
    .toEqual(c.outputShapes.map((s) => [null, ...s.slice(1)]));
  const model = tfl.model({ inputs: symbolicInputs, outputs: symbolicOut });
  expect(layer.trainableWeights.length, `${layer.name}: trainable weights`).toBe(c.trainableWeights);
  expect(layer.nonTrainableWeights.length, `${layer.name}: non-trainable weights`).toBe(nonTrainable);

  // Config round trip through the model JSON, then identical outputs with copied weights.
  const json = model.toJSON(null, false) as tf.serialization.ConfigDict;
  const rebuilt = await tfl.models.modelFromJSON(JSON.parse(JSON.stringify(json)));
  const twin = rebuilt.getLayer(layer.name);
  expect(twin.getClassName()).toBe(layer.getClassName());
  expect(canonical(twin.getConfig()), `${layer.name}: config after the JSON round trip`).toEqual(canonical(layer.getConfig()));
  rebuilt.setWeights(model.getWeights());
  const inputs = c.inputShapes.map((s, i) => rand(s, seed + i));
  const feed = inputs.length === 1 ? inputs[0] : inputs;
  tf.tidy(() => {
    const a = asList(model.predict(feed) as tf.Tensor | tf.Tensor[]);
    const b = asList(rebuilt.predict(feed) as tf.Tensor | tf.Tensor[]);
    a.forEach((t, i) => expect(Array.from(b[i].dataSync()), `${layer.name}: output ${i} after the JSON round trip`)
      .toEqual(Array.from(t.dataSync())));
  });

  // Eager call: shapes, and exactly the outputs stay allocated.
  const beforeEager = tf.memory().numTensors;
  const eager = asList(layer.apply(feed, kwargs) as tf.Tensor | tf.Tensor[]);
  expect(eager.map((t) => t.shape), `${layer.name}: eager output shapes`).toEqual(c.outputShapes);
  eager.forEach((t, i) => expectAllFinite(t, `${layer.name}: eager output ${i}`));
  expect(tf.memory().numTensors - beforeEager, `${layer.name}: tensors left by an eager call`).toBe(eager.length);
  tf.dispose(eager);

  // Gradients of Σ outputs · R.
  const weightsR = c.outputShapes.map((s, i) => rand(s, seed + 100 + i));
  const objective = (xs: tf.Tensor[]) => tf.addN(asList(layer.apply(xs.length === 1 ? xs[0] : xs, kwargs) as tf.Tensor | tf.Tensor[])
    .map((o, i) => tf.sum(tf.mul(o, weightsR[i])))) as tf.Scalar;
  const beforeGrads = tf.memory().numTensors;
  if (c.trainableWeights > 0) {
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => objective(inputs), variables);
    for (const w of layer.trainableWeights) {
      const g = grads[(w.read() as tf.Variable).name];
      expect(g, `${layer.name}: no gradient reaches ${w.originalName}`).toBeDefined();
      expectAllFinite(g, `${layer.name}: gradient of ${w.originalName}`);
      expect(maxAbs(g), `${layer.name}: gradient of ${w.originalName} is zero`).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
  }
  const inputGrads = tf.grads((...xs: tf.Tensor[]) => objective(xs))(inputs);
  inputGrads.forEach((g, i) => expectAllFinite(g, `${layer.name}: gradient of input ${i}`));
  tf.dispose(inputGrads);
  expect(tf.memory().numTensors - beforeGrads, `${layer.name}: tensors left by the gradient computations`).toBe(0);

  const config = twin.getConfig();
  tf.dispose([...inputs, ...weightsR]);
  model.dispose();
  rebuilt.dispose();
  expect(tf.memory().numTensors - start, `${layer.name}: tensors left after disposing the models`).toBe(0);
  return { config };
}
