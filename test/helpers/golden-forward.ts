// The golden forward checks as runs that measure: every output of ours (and the u, v a
// training-mode call leaves) against the official PyTorch values, on whatever backend is active.
// Free of Node APIs and of vitest: the browser test page bundles this file; the bound is
// applied by the caller (test/helpers/golden-bounds.ts).
import * as tf from '@tensorflow/tfjs-core';
import { createDiscriminator, createGenerator, exportTorchStateDict, loadTorchStateDict } from '../../src';
import type { NamedTensors } from '../../src';
import { differenceOfTensors, toNCHW, toNHWC, withPrefix, type Difference } from './golden-compare';

/** One compared tensor. */
export interface Measured extends Difference {
  label: string;
}

/** The forward fixtures, as `manifest.json` names them. */
export const FORWARD_FIXTURES = ['generator-light', 'generator-full', 'discriminator-global', 'discriminator-local'] as const;
export type ForwardFixture = (typeof FORWARD_FIXTURES)[number];

/** A forward case of `manifest.json`. */
export interface ForwardEntry {
  config: {
    input_nc: number; output_nc?: number; ngf?: number; n_blocks?: number; img_size?: number; light?: boolean;
    ndf?: number; n_layers?: number;
  };
}

async function measureAll(pairs: Array<[string, tf.Tensor, tf.Tensor]>): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const [label, actual, expected] of pairs) out.push({ label, ...await differenceOfTensors(actual, expected) });
  return out;
}

/** Keys in `expected` that `actual` lacks and the reverse, as messages. */
function keyProblems(label: string, actual: object, expected: object): string[] {
  const a = new Set(Object.keys(actual));
  const e = new Set(Object.keys(expected));
  return [
    ...[...e].filter((k) => !a.has(k)).map((k) => `${label}: ours has no ${k}`),
    ...[...a].filter((k) => !e.has(k)).map((k) => `${label}: ${k} is not in the golden file`),
  ];
}

/** Forward measurements of one case, and structural problems (missing keys). */
export interface ForwardMeasurements {
  measured: Measured[];
  problems: string[];
}

/**
 * Runs one forward fixture: a generator's image, CAM logit and heatmap, or a discriminator's
 * eval-mode outputs (stored u, v), training-mode outputs and the u, v it leaves behind.
 */
export async function measureForward(name: ForwardFixture, fixture: NamedTensors, entry: ForwardEntry): Promise<ForwardMeasurements> {
  const c = entry.config;
  const input = toNHWC(fixture.input!);
  const pairs: Array<[string, tf.Tensor, tf.Tensor]> = [];
  const problems: string[] = [];
  const owned: tf.Tensor[] = [input];
  if (name.startsWith('generator')) {
    const gen = createGenerator({
      inputChannels: c.input_nc, outputChannels: c.output_nc, ngf: c.ngf, nBlocks: c.n_blocks, imgSize: c.img_size, light: c.light,
    });
    loadTorchStateDict(gen, withPrefix(fixture, 'state'));
    const [image, camLogit, heatmap] = gen.predict(input) as tf.Tensor[];
    const nchw = [toNCHW(image!), camLogit!, toNCHW(heatmap!)];
    owned.push(image!, heatmap!, ...nchw);
    pairs.push(['image', nchw[0]!, fixture['output.image']!], ['cam_logit', nchw[1]!, fixture['output.cam_logit']!],
      ['heatmap', nchw[2]!, fixture['output.heatmap']!]);
    gen.dispose();
  } else {
    const dis = createDiscriminator({ inputChannels: c.input_nc, ndf: c.ndf, nLayers: c.n_layers });
    loadTorchStateDict(dis, withPrefix(fixture, 'state'));
    const outputs = (prefix: string, [logit, camLogit, heatmap]: tf.Tensor[]) => {
      const nchw = [toNCHW(logit!), camLogit!, toNCHW(heatmap!)];
      owned.push(logit!, heatmap!, ...nchw);
      for (const [i, key] of ['logit', 'cam_logit', 'heatmap'].entries()) pairs.push([`${prefix}.${key}`, nchw[i]!, fixture[`${prefix}.output.${key}`]!]);
    };
    outputs('eval', dis.predict(input) as tf.Tensor[]);
    outputs('train', dis.apply(input, { training: true }) as tf.Tensor[]);
    const after = exportTorchStateDict(dis);
    const expected = withPrefix(fixture, 'train.state_after');
    problems.push(...keyProblems('train.state_after', after, expected));
    owned.push(...Object.values(after));
    for (const key of Object.keys(expected)) if (after[key]) pairs.push([`train.state_after.${key}`, after[key], expected[key]!]);
    dis.dispose();
  }
  const measured = await measureAll(pairs);
  tf.dispose(owned);
  return { measured, problems };
}
