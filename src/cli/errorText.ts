// The one place where the CLI words the library's errors for the terminal: each `field` a message
// names becomes its flag (fieldFlags.ts), and an error that carries the facts of what to run next
// (a study that exists, a missing latency table) gets the command line to run.
import * as path from 'node:path';
import type { Command } from 'commander';
import { FIELD_REF } from '../io/fieldError';
import { MissingLatencyTableError } from '../cost/missingLatencyTable';
import { LatencyTableError } from '../latency/latencyTable';
import {
  DEFAULT_STORE,
  NoSuchStudyError,
  StoreError,
  StudyBusyError,
  StudyExistsError,
  StudyUnfinishedError,
} from '../study/store';
import { fieldFlags } from './fieldFlags';

/** A library text with its `field`s as the program's flags (a field without a flag stays as written). */
export function cliText(text: string, program: Command): string {
  const table = fieldFlags(program);
  return text.replace(FIELD_REF, (ref: string, field: string) => {
    const flag = table.get(field);
    return flag ? `--${flag}` : ref;
  });
}

const storeArg = (store: string | undefined) =>
  store === undefined || path.resolve(store) === path.resolve(DEFAULT_STORE) ? '' : ` --store ${store}`;

/**
 * The error's text with the command line its facts suggest: the problem, then what to run in place
 * of the library's hint (or '' where the library's own words stand).
 */
function withCommand(err: Error, program: Command): { text: string; command: string } | null {
  const problemThen = (e: { problem: string }, command: string) => ({ text: e.problem, command });
  if (err instanceof StudyExistsError && err.study !== undefined)
    return problemThen(
      err,
      `; continue it with: npx tsnas search --resume ${err.study}${storeArg(err.store)}   or choose another --study name`,
    );
  if (err instanceof NoSuchStudyError && err.study !== undefined)
    return problemThen(
      err,
      `; start one with: npx tsnas search <strategy> --study ${err.study}${storeArg(err.store)} ...`,
    );
  if (err instanceof StudyUnfinishedError && err.study !== undefined)
    return problemThen(err, `; finish it with: npx tsnas search --resume ${err.study}${storeArg(err.store)}`);
  if (err instanceof StudyBusyError && err.study !== undefined)
    return problemThen(
      err,
      `; wait for them to finish or stop them, or add one more: npx tsnas worker ${err.study}${storeArg(err.store)}`,
    );
  if (err instanceof MissingLatencyTableError)
    return {
      text: err.message,
      command: `; build one with: npx tsnas lut build ${err.space}${err.input ? ` --input ${err.input}` : ''} -o FILE`,
    };
  if (err instanceof LatencyTableError) {
    const flags = fieldFlags(program);
    const args = err.rebuild.settings.map(([f, v]) => ` --${flags.get(f) ?? f} ${v}`).join('');
    return problemThen(err, `; ${err.lead}: npx tsnas lut build ${err.rebuild.space}${args} -o FILE`);
  }
  if (err instanceof StoreError && err.readable && typeof err.value === 'string')
    return { text: err.message, command: `: npx tsnas study list --store ${err.value}` };
  return null;
}

/** An error's message as the terminal shows it. */
export function cliErrorText(err: unknown, program: Command): string {
  if (!(err instanceof Error)) return String(err);
  const c = withCommand(err, program);
  return c ? cliText(c.text, program) + c.command : cliText(err.message, program);
}

/** The program's help texts with fields as flags (a strategy option's description names `train.limitTrain`). */
export function flagsInHelp(program: Command): void {
  const visit = (c: Command) => {
    for (const opt of c.options) opt.description = cliText(opt.description, program);
    c.description(cliText(c.description(), program));
    c.commands.forEach(visit);
  };
  visit(program);
}
