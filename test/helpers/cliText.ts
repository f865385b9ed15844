// A library error as the CLI words it (its fields as flags, the command lines its facts suggest:
// src/cli/errorText.ts), for tests that call the library and check what a user of `tsnas` reads.
import assert from 'node:assert/strict';
import { buildProgram } from '../../src/cli/main';
import { cliErrorText } from '../../src/cli/errorText';

let program: ReturnType<typeof buildProgram> | undefined;

/** The CLI's text of an error. */
export function cliText(err: unknown): string {
  return cliErrorText(err, (program ??= buildProgram()));
}

/** Runs fn, which must throw; returns the CLI's text of its error, which must hold every part. */
export function cliThrowsWith(fn: () => unknown, parts: string[]): string {
  let err: unknown;
  let threw = false;
  try {
    fn();
  } catch (e) {
    err = e;
    threw = true;
  }
  assert.ok(threw, `expected an error holding ${JSON.stringify(parts)}`);
  const text = cliText(err);
  for (const p of parts) assert.ok(text.includes(p), `expected '${p}' in: ${text}`);
  return text;
}
