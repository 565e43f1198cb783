#!/usr/bin/env node
import '../backends';
import { UgatitError } from '../errors';
import { TRAIN_HELP, trainCommand } from './train-command';

const HELP = `Usage: ugatit-tf <command> [options]

Commands:
  train       train U-GAT-IT on an image folder
Run ugatit-tf <command> --help for a command's options.
`;

const COMMANDS: Record<string, { help: string; run: (argv: string[]) => Promise<void> }> = {
  train: { help: TRAIN_HELP, run: trainCommand },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') { process.stdout.write(HELP); return name ? 0 : 1; }
  const command = COMMANDS[name];
  if (!command) { process.stderr.write(`ugatit-tf: unknown command ${JSON.stringify(name)}\n${HELP}`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(command.help); return 0; }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  const message = e instanceof UgatitError || e instanceof Error ? e.message : String(e);
  process.stderr.write(`ugatit-tf: ${message}\n`);
  process.exitCode = 1;
});
