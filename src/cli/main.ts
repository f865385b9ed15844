// The tsnas command line: one file per command group under commands/.
import { Command } from 'commander';
import { registerBench } from './commands/bench';
import { registerInfo } from './commands/info';
import { registerTrain } from './commands/train';

export function buildProgram(): Command {
  const program = new Command('tsnas')
    .description('Hardware-aware neural architecture search on libtorch')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerInfo(program);
  registerBench(program);
  registerTrain(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
