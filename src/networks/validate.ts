import { UGATITConfigError } from '../errors';

/** Throws a {@link UGATITConfigError} unless `value` is an integer of at least `min`. */
export function requireInteger(owner: string, key: string, value: unknown, min: number): number {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new UGATITConfigError(`${owner}: ${key} must be an integer of at least ${min}, received ${JSON.stringify(value)}`);
  }
  return value;
}
