import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createDiscriminator, createGenerator, loadTorchStateDict, torchWeightTable, NETWORK_NAMES } from '../../src';
import type { NamedTensors, NetworkName, UGATITNetworks } from '../../src';
import { manifest, withPrefix } from './fixtures';

/** The six networks of the `train-step` fixture, with its initial weights. */
export function buildReferenceNetworks(fixture: NamedTensors): UGATITNetworks {
  const c = manifest['train-step'].config;
  const gen = (name: string) => createGenerator({ ngf: c.ch, nBlocks: c.n_res, imgSize: c.img_size, light: c.light, name });
  const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: c.ch, nLayers, name });
  const nets: UGATITNetworks = {
    genA2B: gen('genA2B'), genB2A: gen('genB2A'),
    disGA: dis('disGA', c.dis_global_layers), disGB: dis('disGB', c.dis_global_layers),
    disLA: dis('disLA', c.dis_local_layers), disLB: dis('disLB', c.dis_local_layers),
  };
  for (const name of NETWORK_NAMES) loadTorchStateDict(nets[name], withPrefix(fixture, `init.${name}`));
  return nets;
}

/** Our gradients (keyed by weight original name) converted to PyTorch keys and layouts. */
export function gradientsInTorchLayout(model: tfl.LayersModel, grads: tf.NamedTensorMap): NamedTensors {
  const out: NamedTensors = {};
  for (const row of torchWeightTable(model)) {
    const g = grads[row.variable.originalName];
    if (g) out[row.torchKey] = tf.tidy(() => row.toTorch(g));
  }
  return out;
}

/** Disposes every network. */
export function disposeNetworks(nets: UGATITNetworks): void {
  for (const name of NETWORK_NAMES) nets[name as NetworkName].dispose();
}
