// Where a flag error points: one line naming the help that lists the options, not the whole help.
// A command whose help depends on its arguments (`tsnas search STRATEGY --help` lists that
// strategy's own flags) says which of the arguments given belong in that help's command line.
import type { Command, ErrorOptions } from 'commander';

const helpArguments = new WeakMap<Command, (command: Command) => string[]>();

/** The arguments of `command` (as given on its command line) that its help depends on. */
export function helpDependsOn(command: Command, args: (command: Command) => string[]): void {
  helpArguments.set(command, args);
}

/** Each command of `program`: a flag error ends with `(npx tsnas COMMAND [ARGS] --help lists the options)`. */
export function flagErrorHints(program: Command): void {
  const hint = (c: Command, names: string[]) => {
    const error = c.error.bind(c);
    // The arguments are known only once the command line is parsed, when the error is raised.
    c.error = (message: string, o?: ErrorOptions): never => {
      const args = helpArguments.get(c)?.(c) ?? [];
      c.showHelpAfterError(`(${['npx tsnas', ...names, ...args].join(' ')} --help lists the options)`);
      return error(message, o);
    };
    c.showHelpAfterError(`(${['npx tsnas', ...names].join(' ')} --help lists the options)`);
    for (const sub of c.commands) hint(sub, [...names, sub.name()]);
  };
  hint(program, []);
}
