// Bad input through the library: the configuration field at fault and its value, in the library's
// own words. A message names a field as its path in backquotes (`train.limitTrain`,
// `options.subsetSize`, `store`), never as a command-line flag: the library is the product and the
// CLI one client of it. The CLI rewrites each `field` of a message to its flag for the terminal
// (src/cli/fieldFlags.ts), so that `tsnas search` says --limit-train where the library says
// `train.limitTrain`; any other caller reads the field paths of its own configuration object.

/** `field` as messages write it (the CLI rewrites it to the field's flag). */
export const fieldRef = (field: string): string => `\`${field}\``;

/** The field references of a text: each `a.b` in backquotes whose content is a field path. */
export const FIELD_REF = /`([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)`/g;

export class FieldError extends Error {
  /** The configuration field at fault, as a path: 'train.limitTrain', 'options.subsetSize', 'store'. */
  readonly field: string;
  /** The value at fault (undefined: the field was missing). */
  readonly value: unknown;
  /** What was wrong (the message without the hint). */
  readonly problem: string;
  /** What to do, when the problem's own words do not say it (the message is `problem; hint`). */
  readonly hint: string | undefined;

  constructor(field: string, value: unknown, message: string, o: { hint?: string; cause?: unknown } = {}) {
    super(o.hint ? `${message}; ${o.hint}` : message, o.cause !== undefined ? { cause: o.cause } : undefined);
    this.field = field;
    this.value = value;
    this.problem = message;
    this.hint = o.hint;
  }
}
