// A manifest of images as a data set: a CSV file (path,label[,split] per line, an optional header
// line naming the columns in any order) or JSON Lines ({"path": ..., "label": ..., "split": ...}
// per line). Paths are relative to the manifest's folder (or absolute); labels are class names
// (or numbers); split is train, val or test (absent: train, and a test split is held out).
// A line that does not parse is an error naming the manifest and its line number.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkClassCount, type ImageEntry, type ImageListing } from './imageListing';

interface Row {
  path: string;
  label: string;
  split: 'train' | 'val' | 'test';
  line: number;
}

const SPLITS: Record<string, Row['split']> = { train: 'train', val: 'val', validation: 'val', test: 'test' };

/** Splits one CSV line into fields (double quotes around a field; "" inside for a quote). */
export function csvFields(line: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return 'a quoted field is not closed';
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') return `unexpected text after a quoted field at column ${i + 1}`;
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end < 0 ? line.length : end).trim();
      i = end < 0 ? line.length : end;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function parseCsv(file: string, lines: string[]): Row[] {
  const rows: Row[] = [];
  let columns = { path: 0, label: 1, split: 2 as number | null };
  let first = true;
  let header: number | null = null;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const at = `${file} line ${i + 1}`;
    const fields = csvFields(line);
    if (typeof fields === 'string') throw new Error(`${at}: ${fields}`);
    if (first) {
      first = false;
      const names = fields.map((f) => f.toLowerCase());
      if (names.includes('path') && names.includes('label')) {
        const unknown = names.filter((n) => !['path', 'label', 'split'].includes(n));
        if (unknown.length)
          throw new Error(
            `${at}: unknown column${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (columns: path, label, split)`,
          );
        header = names.length;
        columns = {
          path: names.indexOf('path'),
          label: names.indexOf('label'),
          split: names.includes('split') ? names.indexOf('split') : null,
        };
        return;
      }
    }
    const expected = header ? [header] : [2, 3];
    if (!expected.includes(fields.length)) {
      const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
      throw new Error(
        `${at}: expected ${header ? `${header} comma-separated fields (the header's columns)` : 'path,label or path,label,split'}, got ${fields.length} field${fields.length === 1 ? '' : 's'} in '${shown}' (a comma inside a path needs the path in double quotes)`,
      );
    }
    const split = columns.split !== null ? fields[columns.split] : fields[2];
    rows.push(makeRow(at, fields[columns.path] ?? '', fields[columns.label] ?? '', split, i + 1));
  });
  return rows;
}

function parseJsonLines(file: string, lines: string[]): Row[] {
  const rows: Row[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${file} line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${at}: not JSON (${(e as Error).message}); each line is {"path": "...", "label": "..."}`, {
        cause: e,
      });
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new Error(`${at}: expected an object {"path": "...", "label": "..."}, got ${JSON.stringify(v)}`);
    const o = v as Record<string, unknown>;
    if (typeof o.path !== 'string')
      throw new Error(`${at}: path must be a string (the image file), got ${JSON.stringify(o.path)}`);
    if (typeof o.label !== 'string' && typeof o.label !== 'number')
      throw new Error(`${at}: label must be a class name or number, got ${JSON.stringify(o.label)}`);
    if (o.split !== undefined && typeof o.split !== 'string')
      throw new Error(`${at}: split must be train, val or test, got ${JSON.stringify(o.split)}`);
    rows.push(makeRow(at, o.path, String(o.label), o.split as string | undefined, i + 1));
  });
  return rows;
}

function makeRow(at: string, p: string, label: string, split: string | undefined, line: number): Row {
  if (p === '') throw new Error(`${at}: the path is empty`);
  if (label.trim() === '') throw new Error(`${at}: the label is empty`);
  const s = split === undefined || split === '' ? 'train' : SPLITS[split.toLowerCase()];
  if (!s) throw new Error(`${at}: split '${split}' is not train, val or test`);
  return { path: p, label: label.trim(), split: s, line };
}

/** Class names: numeric order when every label is an integer (so label k is class k), else sorted. */
function classOrder(labels: string[]): string[] {
  const unique = [...new Set(labels)];
  if (unique.every((l) => /^-?\d+$/.test(l))) return unique.sort((a, b) => Number(a) - Number(b));
  return unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Lists a manifest (manifest:FILE.csv or manifest:FILE.jsonl); `skipMissing` leaves out lines naming missing files. */
export function listManifest(file: string, source: string, skipMissing: boolean): ImageListing {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `${source}: cannot read the manifest ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      { cause: e },
    );
  }
  const ext = path.extname(file).toLowerCase();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const rows =
    ext === '.csv'
      ? parseCsv(file, lines)
      : ext === '.jsonl' || ext === '.ndjson'
        ? parseJsonLines(file, lines)
        : (() => {
            throw new Error(
              `${source}: ${file} is neither .csv (path,label per line) nor .jsonl ({"path": ..., "label": ...} per line): name the manifest by its format`,
            );
          })();
  if (rows.length === 0) throw new Error(`${source}: ${file} lists no images`);
  const base = path.dirname(path.resolve(file));
  const skipped: ImageListing['skipped'] = [];
  const kept: Array<Row & { file: string }> = [];
  for (const r of rows) {
    const abs = path.resolve(base, r.path);
    let ok: boolean;
    try {
      ok = fs.statSync(abs).isFile();
    } catch {
      ok = false;
    }
    if (!ok) {
      const reason = `${file} line ${r.line}: ${r.path} is not a file (resolved against the manifest's folder: ${abs})`;
      if (!skipMissing) throw new Error(`${source}: ${reason}; fix the line, or skip bad images (skipBadImages)`);
      skipped.push({ file: abs, reason });
      continue;
    }
    kept.push({ ...r, file: abs });
  }
  const trainRows = kept.filter((r) => r.split === 'train');
  const classNames = classOrder(trainRows.map((r) => r.label));
  checkClassCount(source, classNames, `the train lines of ${file}`);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const entries = (split: Row['split']): ImageEntry[] =>
    kept
      .filter((r) => r.split === split)
      .map((r) => {
        const label = index.get(r.label);
        if (label === undefined) {
          throw new Error(
            `${source}: ${file} line ${r.line}: class '${r.label}' of the ${split} split has no training images (train classes: ${classNames.slice(0, 8).join(', ')}${classNames.length > 8 ? ', ...' : ''}): a class must have training images to be learned`,
          );
        }
        return { file: r.file, label, where: `${file} line ${r.line} (${r.path})` };
      });
  const test = entries('test');
  const val = entries('val');
  return {
    source,
    classNames,
    train: entries('train'),
    val,
    test,
    trainFrom: `the train lines of ${file}`,
    testFrom: `the ${test.length ? 'test' : 'val'} lines of ${file}`,
    skipped,
    notes: [],
  };
}
