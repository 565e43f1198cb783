import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Constraint } from '@tensorflow/tfjs-layers/dist/constraints';
import type { Initializer } from '@tensorflow/tfjs-layers/dist/initializers';

// tfjs-layers does not export its Constraint and Initializer base classes, and importing
// them from its dist/ files would load a second copy of the library (a second registry).
// Custom constraints must still be `instanceof Constraint` for addWeight to accept them, so
// reach the real base classes through instances of built-in subclasses.

/** tfjs-layers' `Constraint` base class. */
export const ConstraintBase = Object.getPrototypeOf(tfl.constraints.nonNeg().constructor) as typeof Constraint;

/** tfjs-layers' `Initializer` base class. */
export const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as typeof Initializer;

export type { Constraint, Initializer };
export type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology';
export type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';

/** The function type `tf.customGrad` takes, for forward functions of plain tensors. */
export type CustomGradFunc = Parameters<typeof import('@tensorflow/tfjs-core').customGrad>[0];

/**
 * Makes a constrained weight's writes leak-free. tfjs-layers' `LayerVariable.write` assigns
 * `constraint.apply(value)` and never disposes that tensor; `setWeights` hides this inside a
 * tidy, but `Container.loadWeights` (every `loadLayersModel`) does not, leaving one tensor per
 * constrained weight per load. Running this variable's writes inside a tidy frees it.
 */
export function tidyWrites(variable: tfl.LayerVariable): tfl.LayerVariable {
  const write = variable.write.bind(variable);
  variable.write = (value) => {
    tf.tidy(() => { write(value); });
    return variable;
  };
  return variable;
}

/**
 * The seed to hand tfjs' normal and truncated-normal draws (`tf.randomNormal`,
 * `tf.truncatedNormal` and the tfjs-layers initializers built on them) so that seed 0 is a seed.
 * They pick their generator with `seed ? seed : Math.random()`, so 0 silently means "unseeded"
 * (the uniform draw checks `seed == null` and is fine). They stringify the seed before seeding,
 * so its decimal string gives 0 a reproducible stream and every other seed exactly the stream
 * it had.
 */
export function normalDrawSeed(seed: number | undefined): number | undefined {
  return seed === undefined ? undefined : (String(seed) as unknown as number);
}
