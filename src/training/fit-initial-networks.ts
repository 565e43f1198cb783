import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { inferModelNetwork } from '../weights/convert';
import { copyGenerator } from './generator-average';
import type { UGATITNetworks } from './trainer';

/** The architecture fields of a run that starting networks fix. */
export interface RunArchitecture {
  size: number; ngf: number; ndf: number; nBlocks: number; light: boolean; globalLayers: number; localLayers: number;
}

/**
 * Makes networks a run starts from (`--init`) agree with the run: the architecture is theirs
 * (a value the caller set explicitly must match it, or the run is refused naming both), and
 * light generators trained at another image size are rebuilt at the run's size with the same
 * weights — a light generator's weights do not depend on the image size (its MLP reads a
 * global pooling), a full generator's flattening FC does, so those are refused.
 *
 * @param requested the run's options as the caller gave them (undefined: not given).
 * @returns the architecture to record in the run's checkpoints; `networks` is updated in place.
 */
export function fitInitialNetworks(networks: UGATITNetworks, size: number, requested: Partial<RunArchitecture>, source: string): RunArchitecture {
  const g = inferModelNetwork(networks.genA2B);
  const d = (n: tfl.LayersModel) => inferModelNetwork(n);
  const dg = d(networks.disGA), dl = d(networks.disLA);
  if (g.kind !== 'generator' || dg.kind !== 'discriminator' || dl.kind !== 'discriminator') {
    throw new UGATITConfigError(`--init ${source}: its networks are not two generators and four discriminators`);
  }
  const found: RunArchitecture = {
    size: g.config.imgSize, ngf: g.config.ngf, ndf: dg.config.ndf, nBlocks: g.config.nBlocks, light: g.config.light,
    globalLayers: dg.config.nLayers, localLayers: dl.config.nLayers,
  };
  const mismatched = (Object.keys(requested) as Array<keyof RunArchitecture>)
    .filter((k) => k !== 'size' && requested[k] !== undefined && requested[k] !== found[k]);
  if (mismatched.length > 0) {
    throw new UGATITConfigError(`--init ${source} has ${mismatched.map((k) => `${k} ${found[k]}`).join(', ')}; `
      + `the run asks for ${mismatched.map((k) => `${k} ${requested[k]}`).join(', ')} (leave them out to take the networks' own)`);
  }
  if (found.size !== size) {
    if (!found.light) {
      throw new UGATITConfigError(`--init ${source}: its full generators were built for ${found.size} px (their flattening FC depends on the image size); train at size ${found.size}`);
    }
    for (const name of ['genA2B', 'genB2A'] as const) {
      const old = networks[name];
      networks[name] = copyGenerator(old, size);
      old.dispose();
    }
  }
  return { ...found, size };
}
