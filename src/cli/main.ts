// The tsnas command line: one file per command group under commands/.
import { Command } from 'commander';
import { registerBench } from './commands/bench';
import { registerInfo } from './commands/info';
import { registerSpace } from './commands/space';
import { registerCost } from './commands/cost';
import { registerLut } from './commands/lut';
import { registerExport } from './commands/export';
import { registerPredict } from './commands/predict';
import { registerTrain } from './commands/train';
import { registerSearch } from './commands/search';
import { registerStudy } from './commands/study';
import { registerWorker } from './commands/worker';
import { registerDashboard } from './commands/dashboard';
import { packageVersion } from '../packageRoot';
import { cliErrorText, flagsInHelp } from './errorText';
import { flagErrorHints } from './flagErrorHint';

export function buildProgram(): Command {
  const program = new Command('tsnas')
    .description('Hardware-aware neural architecture search on libtorch')
    .version(packageVersion(), '-V, --version', "tsnas's version")
    .configureOutput({ outputError: (str, write) => write(str) });
  registerInfo(program);
  registerBench(program);
  registerSpace(program);
  registerCost(program);
  registerLut(program);
  registerTrain(program);
  registerExport(program);
  registerPredict(program);
  // Before search: its help texts make the table of fields to flags (fieldFlags.ts) once, from the commands there are.
  registerDashboard(program);
  registerSearch(program);
  registerStudy(program);
  registerWorker(program);
  // A flag error is one line, then where the options are listed (not the whole help after it).
  flagErrorHints(program);
  flagsInHelp(program);
  return program;
}

/** Runs the command line; a command's error comes out in the CLI's words (flags, not the library's fields). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof Error) err.message = cliErrorText(err, program);
    throw err;
  }
}
