// The strategies `tsnas search <strategy>` knows, by name. A new search method is a plug-in
// (strategyPlugin.ts) in its own folder, registered here with one line; the CLI's flags, the
// config checks, the finalize step and the report sections all come from the plug-in.
import { formatIssues } from '../io/readDataFile';
import { FieldError } from '../io/fieldError';
import { evolutionStrategy } from './evolution';
import { dnasStrategy } from './fbnet/dnasStrategy';
import { narsStrategy } from './nars/narsStrategy';
import { absStrategy, sposStrategy } from './spos/oneShotStrategy';
import { nseStrategy } from './nse/nseStrategy';
import { randomStrategy } from './random';
import type { StrategyPlugin } from './strategyPlugin';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plug-ins of any option type live in one map
const strategies = new Map<string, StrategyPlugin<any>>();

export function registerStrategy<O>(plugin: StrategyPlugin<O>): void {
  if (strategies.has(plugin.name)) throw new Error(`a strategy named '${plugin.name}' is registered already`);
  strategies.set(plugin.name, plugin);
}

registerStrategy(randomStrategy);
registerStrategy(evolutionStrategy);
registerStrategy(dnasStrategy);
registerStrategy(narsStrategy);
registerStrategy(sposStrategy);
registerStrategy(absStrategy);
registerStrategy(nseStrategy);

export function strategyNames(): string[] {
  return [...strategies.keys()];
}

/** Every registered plug-in, in registration order. */
export function strategyPlugins(): Array<StrategyPlugin<unknown>> {
  return [...strategies.values()];
}

export function getStrategy(name: string): StrategyPlugin<unknown> {
  const f = strategies.get(name);
  if (!f) throw new Error(`unknown strategy '${name}' (strategies: ${strategyNames().join(', ')})`);
  return f as StrategyPlugin<unknown>;
}

/** Validates a strategy's options; errors name the field ('options.population: ...'). */
export function parseStrategyOptions<O>(f: StrategyPlugin<O>, raw: unknown, origin = 'options'): O {
  const r = f.options.safeParse(raw ?? {});
  if (!r.success) {
    const lines = formatIssues(r.error.issues)
      .split('\n')
      .map((l) => l.replace(/^ {2}/, `  ${origin}.`));
    const first = r.error.issues[0]!;
    const at = first.path.map(String);
    const value = at.reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      raw,
    );
    throw new FieldError(
      [origin, ...at].join('.'),
      value,
      `invalid options for strategy '${f.name}':\n${lines.join('\n')}`,
    );
  }
  return r.data;
}
