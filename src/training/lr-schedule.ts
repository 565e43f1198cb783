/** The reference's learning-rate schedule, in closed form. */
export interface LearningRateSchedule {
  /** Learning rate of the first half. */
  initialLr: number;
  /** Total iterations planned; the decay runs over the second half (`floor(iterations / 2)` steps). */
  iterations: number;
  /** Whether the rate decays linearly to 0 over the second half. */
  decay: boolean;
}

/**
 * The learning rate in effect after `completed` iterations: `initialLr` through the first half,
 * then `initialLr / half` less per iteration, never below 0.
 *
 * {@link UGATITTrainer} applies the schedule one decrement per step (as the reference does);
 * this is what a resumed run whose planned `iterations` changed restarts from, like the
 * reference's `--resume`, which recomputes the rate from the start iteration.
 *
 * @example
 * ```ts
 * scheduledLearningRate({ initialLr: 1e-4, iterations: 4000, decay: true }, 3000); // 5e-5
 * ```
 */
export function scheduledLearningRate(schedule: LearningRateSchedule, completed: number): number {
  const half = Math.floor(schedule.iterations / 2);
  if (!schedule.decay || half === 0 || completed <= half) return schedule.initialLr;
  return Math.max(0, schedule.initialLr - (schedule.initialLr / half) * (completed - half));
}
