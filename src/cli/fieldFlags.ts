// The one table from the library's configuration fields to the CLI's flags, so that an error or a
// help text that names a field (`train.limitTrain`, `options.subsetSize`, `store`: src/io/fieldError.ts)
// names its flag on the terminal (--limit-train, --subset-size, --store). Built from the option
// definitions: a field whose name is a flag's attribute (`maxFailed` -> --max-failed) maps to it,
// every strategy plug-in's options to their flags (strategyFlags.ts), and the fields the search
// command nests (train.*, final.*) or names in the plural are listed here.
import type { Command } from 'commander';
import { strategyPlugins } from '../search/registry';
import { optionFlags } from '../search/strategyFlags';

/** Fields whose flag is not named after the field's own name (search's nested and plural fields). */
const NESTED: Record<string, string> = {
  constraints: 'constraint',
  metrics: 'metric',
  'objective.metric': 'objective',
  'objective.direction': 'objective',
  'train.epochs': 'train-epochs',
  'train.limitTrain': 'limit-train',
  'train.recipe': 'recipe',
  'train.recipeFile': 'recipe',
  'train.threads': 'threads',
  'train.reportTest': 'report-test',
  'final.epochs': 'final-epochs',
  'final.limitTrain': 'final-limit-train',
  'final.references': 'reference',
  'final.teacher': 'teacher',
  'final.distillFrom': 'distill-from',
  'final.seeds': 'final-seeds',
};

/** Field path -> flag without dashes, for every command of `program`. */
export function fieldFlagTable(program: Command): Map<string, string> {
  const table = new Map<string, string>();
  const visit = (c: Command) => {
    for (const opt of c.options) {
      const flag = opt.long?.replace(/^--/, '');
      if (flag && !flag.startsWith('no-') && !table.has(opt.attributeName())) table.set(opt.attributeName(), flag);
    }
    c.commands.forEach(visit);
  };
  visit(program);
  for (const [field, flag] of Object.entries(NESTED)) table.set(field, flag);
  // A strategy option's flag; an option key that strategies flag differently (nars's batchSize is
  // --predictor-batch-size, the weight-sharing methods' --supernet-batch-size) stays a field: no one flag is right for it.
  const options = new Map<string, Set<string>>();
  for (const plugin of strategyPlugins())
    for (const f of optionFlags(plugin).filter((f) => !f.aliasOf))
      options.set(f.option, (options.get(f.option) ?? new Set()).add(f.flag));
  for (const [option, flags] of options) if (flags.size === 1) table.set(`options.${option}`, [...flags][0]!);
  return table;
}

const cache = new WeakMap<Command, Map<string, string>>();

/** The table of a program, made once. */
export function fieldFlags(program: Command): Map<string, string> {
  let t = cache.get(program);
  if (!t) cache.set(program, (t = fieldFlagTable(program)));
  return t;
}
