// Output files (reports, latency tables, results, checkpoints): missing directories are made, a file
// is replaced whole, and a failure names the file and says what to do, instead of Node's
// "ENOSPC: no space left on device, write" (which names none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkOutputPath, outputFileError, writeOutputFile } from '../../src/io/writeOutputFile';
import { throwsWith } from '../data/fixtures';

test('writeOutputFile makes missing directories and replaces a file whole, leaving no temp file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-out-'));
  try {
    const file = path.join(dir, 'a', 'b', 'report.html');
    writeOutputFile(file, 'one', 'report');
    writeOutputFile(file, 'two', 'report');
    assert.equal(fs.readFileSync(file, 'utf8'), 'two');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['report.html']);
    assert.doesNotThrow(() => checkOutputPath(path.join(dir, 'new', 'deeper', 't.json'), 'latency table'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('output errors name the file, the problem in words and what to do', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-out-'));
  try {
    // /dev/full: every write fails with ENOSPC.
    throwsWith(
      () => writeOutputFile('/dev/full', 'x'.repeat(100000), 'report'),
      [
        'cannot write the report /dev/full: no space left on the device (ENOSPC)',
        'free some space, or give another path',
      ],
    );
    throwsWith(
      () => writeOutputFile(dir, 'x', 'report'),
      [`cannot write the report ${dir}: it is a directory (EISDIR)`],
    );
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x');
    throwsWith(
      () => writeOutputFile(path.join(file, 'r.html'), 'x', 'report'),
      [`${path.join(file, 'r.html')}: a part of its path is a file, not a directory: ${file} (ENOTDIR)`],
    );
    throwsWith(
      () => writeOutputFile(path.join(file, 'a', 'r.html'), 'x', 'report'),
      [`${path.join(file, 'a', 'r.html')}: a part of its path is a file, not a directory: ${file} (ENOTDIR)`],
    );
    throwsWith(
      () => checkOutputPath(path.join(file, 'r.html'), 'report'),
      [`${path.join(file, 'r.html')}: a part of its path is a file, not a directory (ENOTDIR)`],
    );
    throwsWith(() => checkOutputPath(dir, 'latency table'), ['cannot write the latency table', 'it is a directory']);
    const eio = outputFileError(
      '/mnt/x/r.html',
      'report',
      Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }),
    );
    assert.match(
      eio.message,
      /^cannot write the report \/mnt\/x\/r\.html: an I\/O error \(a failing disk, or a network filesystem that went away\) \(EIO\); give another path/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
