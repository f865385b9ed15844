// The strategies `tsnas search <strategy>` knows, by name. A new search method is a plug-in
// (strategyPlugin.ts) in its own folder, registered here with one line; the CLI's flags, the
// config checks, the finalize step and the report sections all come from the plug-in.
import { formatIssues } from '../io/readDataFile';
import { FieldError } from '../io/fieldError';
import { evolutionStrategy } from './evolution/index';
import { dnasStrategy } from './fbnet/index';
import { narsStrategy } from './nars/index';
import { absStrategy, sposStrategy } from './spos/index';
import { nseStrategy } from './nse/index';
import { randomStrategy } from './random/index';
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

/** The plug-in of a strategy name; an unknown name is a FieldError on `strategy` listing the known ones. */
export function getStrategy(name: string): StrategyPlugin<unknown> {
  const f = strategies.get(name);
  if (!f)
    throw new FieldError('strategy', name, `unknown strategy '${name}' (strategies: ${strategyNames().join(', ')})`);
  return f as StrategyPlugin<unknown>;
}

/**
 * A strategy's options with the keys of former versions renamed to today's (the plug-in's
 * `renamedOptions`), so that a config file or a stored study that wrote an old key reads as before.
 * A key given under both names keeps today's.
 */
export function currentOptionKeys<O>(f: StrategyPlugin<O>, raw: unknown): unknown {
  const renamed = f.renamedOptions;
  if (!renamed || !raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const now = Object.hasOwn(renamed, k) ? renamed[k]! : k;
    if (now !== k && Object.hasOwn(raw, now)) continue;
    out[now] = v;
  }
  return out;
}

/** Validates a strategy's options (former keys renamed first); errors name the field ('options.population: ...'). */
export function parseStrategyOptions<O>(f: StrategyPlugin<O>, given: unknown, origin = 'options'): O {
  const raw = currentOptionKeys(f, given);
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
