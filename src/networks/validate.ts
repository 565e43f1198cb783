import { UgatitConfigError } from '../errors';

/** Throws a {@link UgatitConfigError} unless `value` is an integer of at least `min`. */
export function requireInteger(owner: string, key: string, value: unknown, min: number): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new UgatitConfigError(`${owner}: ${key} must be an integer of at least ${min}, received ${JSON.stringify(value)}`);
  }
  return value;
}
