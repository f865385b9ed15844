// The strategies `tsnas search <strategy>` knows, by name. A new strategy registers its factory
// here (one line) or calls registerStrategy at load time.
import { formatIssues } from '../io/readDataFile';
import type { StrategyFactory } from '../study/strategy';
import { evolutionStrategy } from './evolution';
import { dnasStrategy } from './fbnet/dnasStrategy';
import { randomStrategy } from './random';

const strategies = new Map<string, StrategyFactory<any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any

export function registerStrategy<O>(f: StrategyFactory<O>): void {
  strategies.set(f.name, f as StrategyFactory<any>); // eslint-disable-line @typescript-eslint/no-explicit-any
}

registerStrategy(randomStrategy);
registerStrategy(evolutionStrategy);
registerStrategy(dnasStrategy);

export function strategyNames(): string[] {
  return [...strategies.keys()];
}

export function getStrategy(name: string): StrategyFactory<unknown> {
  const f = strategies.get(name);
  if (!f) throw new Error(`unknown strategy '${name}' (strategies: ${strategyNames().join(', ')})`);
  return f as StrategyFactory<unknown>;
}

/** Validates a strategy's options; errors name the field ('options.population: ...'). */
export function parseStrategyOptions<O>(f: StrategyFactory<O>, raw: unknown, origin = 'options'): O {
  const r = f.options.safeParse(raw ?? {});
  if (!r.success) throw new Error(`invalid options for strategy '${f.name}':\n${formatIssues(r.error.issues).split('\n').map((l) => l.replace(/^ {2}/, `  ${origin}.`)).join('\n')}`);
  return r.data;
}
