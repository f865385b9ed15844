// Reading the data files tsnas takes (spaces, search configs, recipes, latency tables, metric
// tables): YAML or JSON, checked by a zod schema. Every error names the file, then the field path
// and the problem, and ends with what to do:
//   cannot read config file runs/x.yaml: ENOENT (no such file)
//   invalid space file my.yaml: the text is not valid YAML: <the parser's message, with the line>
//   invalid config file c.yaml:
//     trials: Too small: expected number to be >0
//   The fields of a config file: docs/studies.md
import * as fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';

/** A data file that could not be read, parsed or validated. */
export class DataFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'DataFileError';
  }
}

/** What kind of file is read, for its errors. */
export interface DataFileKind {
  /** As errors name it: 'space file', 'config file', 'latency table'. */
  what: string;
  /** 'json': JSON only; 'yaml' (default): YAML, or JSON when the name ends in .json. */
  format?: 'json' | 'yaml';
  /** What to do about an invalid file: the errors' last line. */
  fix?: string;
  /** The word for a file that fails its schema (default 'invalid'). */
  invalid?: string;
}

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
};

/** The file's text; errors say `cannot read <what> <file>: <code>`. */
export function readDataText(file: string, kind: DataFileKind): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code ? `${code}${WHY[code] ? ` (${WHY[code]})` : ''}` : (err as Error).message;
    throw new DataFileError(`cannot read ${kind.what} ${file}: ${why}`, file);
  }
}

/**
 * The error for an invalid file, `details` being one problem per line ('  path: problem'). An empty
 * origin is data that came from no file (settings, flags).
 */
export function invalidDataFile(kind: DataFileKind, origin: string, details: string): DataFileError {
  return new DataFileError(
    `${kind.invalid ?? 'invalid'} ${kind.what}${origin ? ` ${origin}` : ''}:\n${details}${kind.fix ? `\n${kind.fix}` : ''}`,
    origin,
  );
}

/** Parses text as YAML or JSON (see DataFileKind.format); `origin` names it in errors. */
export function parseDataText(text: string, origin: string, kind: DataFileKind): unknown {
  const json = kind.format === 'json' || origin.endsWith('.json');
  try {
    return json ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    const message = (err as Error).message
      .split('\n')
      .filter((l) => l.trim())
      .join('\n    ');
    throw invalidDataFile(
      { ...kind, fix: undefined },
      origin,
      `  the text is not valid ${json ? 'JSON' : 'YAML'}: ${message}`,
    );
  }
}

/** Validates parsed data; the error lists every problem with its field path. */
export function checkData<S extends z.ZodType>(
  data: unknown,
  schema: S,
  origin: string,
  kind: DataFileKind,
): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw invalidDataFile(kind, origin, formatIssues(r.error.issues));
  return r.data;
}

/** Reads, parses and validates a data file. `empty` stands for an empty file (default: null). */
export function readDataFile<S extends z.ZodType>(
  file: string,
  schema: S,
  kind: DataFileKind & { empty?: unknown },
): z.output<S> {
  const data = parseDataText(readDataText(file, kind), file, kind);
  return checkData(data ?? kind.empty ?? null, schema, file, kind);
}

/** Formats zod issues one per line: `  path: problem` (`(top level)` for the whole document). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.length
        ? i.path
            .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
            .join('')
            .replace(/^\./, '')
        : '(top level)';
      let msg = i.message;
      // A union lists why each form failed; a discriminated union's own message names the choices.
      if (i.code === 'invalid_union' && 'errors' in i && Array.isArray(i.errors) && i.errors.length) {
        const firsts = (i.errors as z.core.$ZodIssue[][]).map((e) =>
          e.map((x) => (x.path.length ? `${x.path.join('.')}: ` : '') + x.message).join('; '),
        );
        msg = `none of the accepted forms matched (${firsts.join(' | ')})`;
      }
      return `  ${path}: ${msg}`;
    })
    .join('\n');
}
