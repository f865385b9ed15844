// The data-file reader: YAML or JSON by the file's name, a zod schema, and errors that name the
// file, the field path and the problem, and end with what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DataFileError, readDataFile, type DataFileKind } from '../../src/io/readDataFile';
import { tempDir } from '../data/fixtures';

const schema = z.strictObject({ name: z.string(), sizes: z.array(z.number().int().positive()).default([]) });
const KIND: DataFileKind = { what: 'widget file', fix: 'The fields of a widget file: docs/widgets.md.' };

function file(dir: string, name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function error(fn: () => unknown): DataFileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DataFileError, `not a DataFileError: ${e}`);
    return e;
  }
  assert.fail('no error');
}

test('readDataFile: YAML, or JSON by the name; defaults applied; an empty file is `empty`', () => {
  const dir = tempDir('data-file');
  assert.deepEqual(readDataFile(file(dir, 'a.yaml', 'name: a\nsizes: [1, 2]\n'), schema, KIND), {
    name: 'a',
    sizes: [1, 2],
  });
  assert.deepEqual(readDataFile(file(dir, 'b.json', '{"name": "b"}'), schema, KIND), { name: 'b', sizes: [] });
  const empty = file(dir, 'empty.yaml', '');
  assert.deepEqual(readDataFile(empty, z.object({ n: z.number().default(3) }), { ...KIND, empty: {} }), { n: 3 });
  assert.match(
    error(() => readDataFile(empty, schema, KIND)).message,
    /invalid widget file .*empty\.yaml:\n {2}\(top level\): /,
  );
});

test('readDataFile errors: unreadable, bad syntax, every schema problem with its path, then what to do', () => {
  const dir = tempDir('data-file-bad');
  const missing = path.join(dir, 'none.yaml');
  const e1 = error(() => readDataFile(missing, schema, KIND));
  assert.equal(e1.message, `cannot read widget file ${missing}: ENOENT (no such file)`);
  assert.equal(e1.file, missing);
  assert.match(
    error(() => readDataFile(dir, schema, KIND)).message,
    /cannot read widget file .*: EISDIR \(a directory, not a file\)/,
  );

  const yaml = file(dir, 'bad.yaml', 'name: [a\n');
  assert.match(
    error(() => readDataFile(yaml, schema, KIND)).message,
    /^invalid widget file .*bad\.yaml:\n {2}the text is not valid YAML: .*line 2/,
  );
  // 'json' reads JSON whatever the name says.
  const json = file(dir, 'bad.yaml.txt', 'name: a');
  assert.match(
    error(() => readDataFile(json, schema, { ...KIND, format: 'json' })).message,
    /the text is not valid JSON/,
  );

  const fields = file(dir, 'fields.yaml', 'name: 3\nsizes: [1, -2]\ncolour: red\n');
  const e2 = error(() => readDataFile(fields, schema, { ...KIND, invalid: 'malformed' }));
  const lines = e2.message.split('\n');
  assert.equal(lines[0], `malformed widget file ${fields}:`);
  assert.match(lines[1]!, /^ {2}name: .*expected string/);
  assert.match(lines[2]!, /^ {2}sizes\[1\]: .*>0/);
  assert.match(lines[3]!, /^ {2}\(top level\): .*"colour"/);
  assert.equal(lines[4], 'The fields of a widget file: docs/widgets.md.');
});
