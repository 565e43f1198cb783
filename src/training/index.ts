export { TorchAdam } from './adam';
export type { TorchAdamArgs, TorchAdamState } from './adam';
