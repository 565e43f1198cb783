#!/usr/bin/env node
import * as tf from '@tensorflow/tfjs-core';
import '../backends';
import { UGATITError } from '../errors';
import { wasmThreadsStarted } from './backend';
import { CONVERT_HELP, convertCommand } from './convert-command';
import { DATASET_HELP, datasetCommand } from './dataset-command';
import { INFO_HELP, infoCommand } from './info-command';
import { SETUP_TENSORFLOW_HELP, setupTensorflowCommand } from './setup-tensorflow-command';
import { TRAIN_HELP, trainCommand } from './train-command';
import { TRANSLATE_HELP, translateCommand } from './translate-command';

const HELP = `Usage: ugatit-tf <command> [options]

Commands:
  translate   translate images with provided or trained weights (heatmaps too)
  train       train U-GAT-IT on an image folder
  convert     official PyTorch checkpoints to our format, and back to safetensors
  info        architecture, parameter counts and provenance of weights
  dataset     render the avatar dataset the provided weights were trained on
  setup-tensorflow
              build the native TensorFlow backend (tfjs-node) from a TensorFlow wheel
Run ugatit-tf <command> --help for a command's options.
`;

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<void> }> = {
  translate: { help: TRANSLATE_HELP, run: translateCommand },
  train: { help: TRAIN_HELP, run: trainCommand },
  convert: { help: CONVERT_HELP, run: convertCommand },
  info: { help: INFO_HELP, run: infoCommand },
  dataset: { help: DATASET_HELP, run: datasetCommand },
  'setup-tensorflow': { help: SETUP_TENSORFLOW_HELP, run: setupTensorflowCommand },
};

async function main(argv: string[]): Promise<number> {
  // PROD only silences tfjs's console warnings (its tfjs-node banner), which would clutter the CLI's output.
  tf.enableProdMode();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') { process.stdout.write(HELP); return name ? 0 : 1; }
  const command = COMMANDS[name];
  if (!command) { process.stderr.write(`ugatit-tf: unknown command ${JSON.stringify(name)}\n${HELP}`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(command.help); return 0; }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  const message = e instanceof UGATITError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`ugatit-tf: ${message}\n`);
  process.exitCode = 1;
}).finally(() => {
  // wasm's pthread workers would keep the process alive after the command is done.
  if (wasmThreadsStarted) process.stdout.write('', () => process.exit());
});
