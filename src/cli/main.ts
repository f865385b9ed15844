// The tsnas command line: one file per command group under commands/.
import { Command } from 'commander';
import { registerBench } from './commands/bench';
import { registerInfo } from './commands/info';
import { registerSpace } from './commands/space';
import { registerCost } from './commands/cost';
import { registerLut } from './commands/lut';
import { registerTrain } from './commands/train';
import { registerSearch } from './commands/search';
import { registerStudy } from './commands/study';

export function buildProgram(): Command {
  const program = new Command('tsnas')
    .description('Hardware-aware neural architecture search on libtorch')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerInfo(program);
  registerBench(program);
  registerSpace(program);
  registerCost(program);
  registerLut(program);
  registerTrain(program);
  registerSearch(program);
  registerStudy(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
