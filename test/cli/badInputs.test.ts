// Bad inputs and faults against the command line, as a new user meets them (issue 11): each case
// is a command, the exit code it must end with, the words its message must contain (what was
// wrong, where: the file, the field, the flag; and what to do), words it must not contain, and
// the check that nothing on disk changed. Every case runs in a directory of its own, a copy of
// the same fixtures, as its working directory: the whole tree is hashed before and after, so a
// file written anywhere relative to it (a default runs/ directory, a half-made store) fails it.
// Fixtures are made in this process through the library. A few cases run as real processes (the
// exit code and message as bin/tsnas.js ends with them); the rest run the same program in this
// process (tsnasInProcess: the same exit code and output, without a second of start-up each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSpace } from '../../src/space/registry';
import { formatArch, parseArch } from '../../src/space/archFormat';
import { runStudy } from '../../src/search/runStudy';
import { StudyStore } from '../../src/study/store';
import { loadDataSource } from '../../src/data/dataSource';
import { loadRecipe } from '../../src/train/recipe';
import { PACKAGE_ROOT, tsnasAsync, tsnasInProcess, type CliRun } from '../helpers/tsnasCli';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { BLUE, RED, truncate, writeClassFolders } from '../data/imageFixtures';

// Decoded images go to a cache outside the cases' directories (none is written for bad data).
process.env.TSNAS_CACHE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-bad-inputs-cache-'));

interface BadInput {
  /** What it tries, for the report of a failure. */
  what: string;
  args: string[];
  code: number;
  /** Words stderr must contain. */
  says: string[];
  /** Words it must not contain (a hint for an option the command lacks, a library's raw text). */
  not?: string[];
  /** At most this many lines on stderr (flag errors: the error and where the options are, no help). */
  maxLines?: number;
  /** Run as a real process (node bin/tsnas.js), not in this one. */
  spawn?: boolean;
  /** A spawned case's hang guard (default 10 minutes): it is killed after this long. */
  timeoutMs?: number;
}

/** Every file and directory under dir, with a hash of each file's bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    out[rel] = st.isDirectory()
      ? 'dir'
      : st.isFile()
        ? crypto.createHash('sha1').update(fs.readFileSync(full)).digest('hex')
        : `mode ${st.mode}`;
  }
  return out;
}

const SMALL_ARCH = 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip';

/** The fixtures every case gets a copy of. */
async function makeFixtures(fx: string): Promise<void> {
  const space = loadSpace('fbnet-s');
  // A store with a finished study 'one' (random search, synthetic evaluator, 2 trials).
  await runStudy({
    config: { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', trials: 2, study: 'one' },
    store: path.join(fx, 'store.db'),
  });
  // A second store in the same directory whose study 'same' has its directory (studies/same).
  const a = StudyStore.open(path.join(fx, 'a.db'));
  try {
    a.createStudy({
      name: 'same',
      strategy: 'random',
      space: 'fbnet-s',
      evaluator: 'synthetic:0',
      data: null,
      objective: { metric: 'accuracy', direction: 'maximize' },
      constraints: [],
      seed: 0,
      config: {},
    });
    fs.writeFileSync(path.join(a.studyDir('same'), 'weights.bin'), 'a');
  } finally {
    a.close();
  }
  fs.writeFileSync(path.join(fx, 'notes.db'), 'my notes, not a database\n');
  fs.mkdirSync(path.join(fx, 'dir.db'));
  // A latency table for 1x28x28 inputs (made-up timings).
  fs.writeFileSync(path.join(fx, 'small.lut.json'), JSON.stringify(await fakeLatencyTable(space, [1, 28, 28])));
  // A table as if timed in onnxruntime-node, one call per op, 4 copies (made-up timings).
  const ort = await fakeLatencyTable(space);
  ort.target = { ...ort.target, name: 'ort-cpu', settings: { opTiming: 'one-call', opCopies: 4 } };
  fs.writeFileSync(path.join(fx, 'ort.lut.json'), JSON.stringify(ort));
  // A user's space file named like a built-in, and one whose head cannot be allocated anywhere.
  const text = fs.readFileSync(path.join(PACKAGE_ROOT, 'spaces', 'fbnet-s.yaml'), 'utf8');
  fs.mkdirSync(path.join(fx, 'own'));
  fs.writeFileSync(path.join(fx, 'own', 'fbnet-s.yaml'), text);
  fs.writeFileSync(
    path.join(fx, 'huge.yaml'),
    text
      .replace('head: { op: conv_k1, channels: 256 }', 'head: { op: conv_k1, channels: 1000000000000000 }')
      .replace(/^name: fbnet-s$/m, 'name: huge'),
  );
  // A table whose accuracies are quoted.
  const archs = ['0-0-0-0-0-0-0-0-0', '1-1-1-1-1-1-1-1-1'].map((i) => formatArch(space, parseArch(space, i)));
  fs.writeFileSync(
    path.join(fx, 'quoted.json'),
    JSON.stringify(Object.fromEntries(archs.map((a, i) => [a, { val_acc: `0.9${i}` }]))),
  );
  // Image folders with bad data, and a manifest with a line that does not parse.
  await writeClassFolders(path.join(fx, 'pics-trunc'), { a: RED, b: BLUE }, 2, ['jpg']);
  truncate(path.join(fx, 'pics-trunc', 'b', '1.jpg'));
  await writeClassFolders(path.join(fx, 'pics-empty'), { a: RED, b: BLUE }, 2);
  fs.mkdirSync(path.join(fx, 'pics-empty', 'c'));
  await writeClassFolders(path.join(fx, 'pics-split', 'train'), { cat: RED, dog: BLUE }, 2);
  await writeClassFolders(path.join(fx, 'pics-split', 'test'), { cat: RED }, 1);
  fs.writeFileSync(path.join(fx, 'bad.csv'), 'path,label\npics-empty/a/0.png,a\npics-empty/b/0.png\n');
  // A run directory: one epoch of a small architecture on synthetic:2, as `tsnas train fbnet-s
  // SMALL_ARCH --data synthetic:2 --epochs 1 --limit-train 100 -o run` writes it.
  const { trainArchitecture } = await import('../../src/train/trainArchitecture');
  const r = trainArchitecture({
    space,
    spaceRef: 'fbnet-s',
    arch: parseArch(space, SMALL_ARCH),
    recipe: loadRecipe(undefined, { epochs: 1 }),
    data: loadDataSource('synthetic:2'),
    limitTrain: 100,
    checkpointDir: path.join(fx, 'run'),
  });
  assert.equal(r.status, 'complete', r.error);
  // An ONNX model without a description of its preprocessing (as exported before tsnas wrote one).
  const { buildNetwork } = await import('../../src/builder/buildNetwork');
  const { exportNetwork } = await import('../../src/export');
  const net = buildNetwork(space, parseArch(space, SMALL_ARCH), { input: [1, 16, 16], classes: 10 });
  try {
    net.eval();
    fs.writeFileSync(path.join(fx, 'bare.onnx'), exportNetwork(net, { metadata: { space: 'fbnet-s' } }).bytes);
  } finally {
    net.dispose();
  }
}

const search = ['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic'];
const trainSmall = ['train', 'fbnet-s', SMALL_ARCH, '--epochs', '1', '--limit-train', '100'];

const CASES: BadInput[] = [
  // Seeds keep their identity: beyond 2^32 - 1 they would repeat a smaller one.
  {
    what: 'space sample: a seed of 2^32 (would equal seed 0)',
    spawn: true,
    args: ['space', 'sample', 'fbnet-s', '--seed', '4294967296'],
    code: 1,
    says: ['--seed must be an integer from 0 to 4294967295', "'4294967296'", 'would repeat a smaller one'],
    maxLines: 2,
  },
  {
    what: 'search: a seed with more digits than a number holds',
    args: [...search, '--seed', '99999999999999999999'],
    code: 1,
    says: ['--seed must be an integer from 0 to 4294967295', "'99999999999999999999'"],
    maxLines: 2,
  },
  {
    what: 'train: a synthetic data seed of 2^32',
    args: ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic:4294967296'],
    code: 1,
    says: ["data set 'synthetic:4294967296'", 'an integer from 0 to 4294967295'],
  },
  {
    what: 'search: an evaluator seed in exponent notation',
    args: ['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic:1e3'],
    code: 1,
    says: ["evaluator 'synthetic:1e3'", 'an integer from 0 to 4294967295'],
  },
  // Image folders and manifests: bad data named (the file, the folder, the class, the line).
  {
    what: 'train: an image folder with a truncated JPEG',
    args: [...trainSmall, '--data', 'images:pics-trunc', '-o', 'r'],
    code: 1,
    says: [path.join('pics-trunc', 'b', '1.jpg'), 'cannot decode the image', 'skip bad images (skipBadImages)'],
  },
  {
    what: 'train: an image folder with an empty class folder',
    args: [...trainSmall, '--data', 'images:pics-empty', '-o', 'r'],
    code: 1,
    says: [`the class folder`, path.join('pics-empty', 'c'), 'add images or remove the folder'],
  },
  {
    what: 'train: an image folder whose test split lacks a class',
    args: [...trainSmall, '--data', 'images:pics-split', '-o', 'r'],
    code: 1,
    says: ["class 'dog'", `no images in`, path.join('pics-split', 'test'), 'every class needs test images'],
  },
  {
    what: 'train: a manifest line without a label',
    args: [...trainSmall, '--data', 'manifest:bad.csv', '-o', 'r'],
    code: 1,
    says: ['bad.csv line 3', 'expected 2 comma-separated fields'],
  },
  {
    what: 'train: an image folder that does not exist',
    args: [...trainSmall, '--data', 'images:nowhere', '-o', 'r'],
    code: 1,
    says: ['images:nowhere', 'cannot read the folder nowhere', 'a subfolder per class'],
  },
  {
    what: 'train: an unknown image data set option',
    args: [...trainSmall, '--data', 'images:pics-split?size=64', '-o', 'r'],
    code: 1,
    says: ["unknown option 'size'", 'resize', 'testFraction', 'skipBadImages'],
  },
  // Flag errors: the line that matters and where the options are, not thirty lines of help.
  {
    what: 'train: --epochs 0',
    args: ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '--epochs', '0'],
    code: 1,
    says: ['--epochs must be a positive integer', "got '0'", '(npx tsnas train --help lists the options)'],
    not: ['Usage:'],
    maxLines: 2,
  },
  {
    what: 'search: an unknown option',
    args: [...search, '--trails', '3'],
    code: 1,
    says: ["unknown option '--trails'", '--trials', '(npx tsnas search random --help lists the options)'],
    not: ['Usage:'],
    maxLines: 3,
  },
  // ONNX export and the runtimes tables are measured in.
  {
    what: 'export: a checkpoint of another space',
    args: ['export', 'mobilenetv2', '--checkpoint', 'run', '-o', 'm.onnx'],
    code: 1,
    says: ["run holds a network of space 'fbnet-s', not 'mobilenetv2'", 'npx tsnas export fbnet-s --checkpoint run'],
  },
  {
    what: 'export: an opset tsnas does not write',
    args: ['export', 'fbnet-s', 'fbnet-s-baseline', '--opset', '11', '-o', 'm.onnx'],
    code: 1,
    says: ['--opset 11 is not supported', 'choose one of 13, 14, 15, 16, 17'],
  },
  {
    what: 'export without the file to write',
    args: ['export', 'fbnet-s', 'fbnet-s-baseline'],
    code: 1,
    says: ['name the ONNX file to write: -o FILE'],
  },
  {
    what: 'lut build on a runtime tsnas does not know',
    args: ['lut', 'build', 'fbnet-s', '--target', 'tpu', '-o', 't.json'],
    code: 1,
    says: [
      "--target: unknown latency target 'tpu'",
      'valid: engine-cpu, engine-cuda, ort-cpu, browser-wasm, browser-webgpu',
    ],
  },
  {
    what: 'lut build: --op-copies on the engine target (the default), where it does nothing',
    args: ['lut', 'build', 'fbnet-s', '--op-copies', '4', '-o', 't.json'],
    code: 1,
    says: ['--op-copies applies to the ONNX targets (ort-cpu, browser-wasm, browser-webgpu), not engine-cpu'],
  },
  {
    what: 'lut build: --op-timing with --target engine-cpu',
    args: ['lut', 'build', 'fbnet-s', '--target', 'engine-cpu', '--op-timing', 'one-call', '-o', 't.json'],
    code: 1,
    says: ['--op-timing applies to the ONNX targets', 'not engine-cpu', 'leave --op-timing out'],
  },
  {
    what: 'lut build: --sample for a space whose keys are all enumerated (it did nothing)',
    args: ['lut', 'build', 'fbnet-s', '--sample', '10', '-o', 't.json'],
    code: 1,
    says: ['--sample applies to spaces whose table keys come from a sample', 'not to fbnet-s', 'leave --sample out'],
  },
  {
    what: "lut validate: another thread count; the rebuild it suggests keeps the table's target and op timing",
    args: ['lut', 'validate', 'fbnet-s', '--lut', 'ort.lut.json', '--threads', '2'],
    code: 1,
    says: [
      'measured with 1 thread(s), not 2',
      'npx tsnas lut build fbnet-s --input 3x32x32 --target ort-cpu --op-timing one-call --op-copies 4 --threads 2 -o FILE',
    ],
  },
  {
    what: 'lut build without the table file',
    args: ['lut', 'build', 'fbnet-s'],
    code: 1,
    says: ['name the table file to write: -o FILE'],
  },
  // Study stores: the file named, the problem in words, what to do; nothing made.
  {
    what: 'study list: a text file as the store',
    args: ['study', 'list', '--store', 'notes.db'],
    code: 1,
    says: ['notes.db is not a study store', 'not an SQLite database', '--store FILE'],
  },
  {
    what: 'search: a text file as the store',
    spawn: true,
    args: [...search, '--store', 'notes.db'],
    code: 1,
    says: ['notes.db is not a study store', 'not an SQLite database'],
  },
  {
    what: 'study list: a directory as the store',
    args: ['study', 'list', '--store', 'dir.db'],
    code: 1,
    says: ['dir.db is a directory, not a study store', '--store dir.db/tsnas.db'],
    not: ['disk I/O error'],
  },
  {
    what: 'search: a directory as the store',
    args: [...search, '--store', 'dir.db'],
    code: 1,
    says: ['dir.db is a directory, not a study store'],
  },
  {
    what: '--resume in a store that does not exist (it is not created)',
    args: ['search', '--resume', 'one', '--store', 'missing/x.db'],
    code: 1,
    says: ['no study store at', 'missing/x.db', "to resume 'one'"],
  },
  {
    what: '--resume of a study the store does not have',
    args: ['search', '--resume', 'two', '--store', 'store.db'],
    code: 1,
    says: ["no study 'two' in", 'store.db', 'studies: one'],
  },
  {
    what: '--resume --trials lower than the study target',
    args: ['search', '--resume', 'one', '--trials', '1', '--store', 'store.db'],
    code: 1,
    says: ["--resume one --trials 1: the study's target is 2 complete trials", 'only raises it'],
  },
  {
    what: 'a new study with a name that is not a directory name (no store made)',
    args: [...search, '--study', 'bad/name', '--store', 'new.db'],
    code: 1,
    says: ["invalid study name 'bad/name' (--study)"],
  },
  {
    what: 'a study of the same name in a second store of the same directory (its store removed again)',
    spawn: true,
    args: [...search, '--study', 'same', '--store', 'b.db'],
    code: 1,
    says: [
      "study 'same' of",
      'b.db cannot use',
      "the files of study 'same' of store",
      'a.db',
      'choose another --study name',
    ],
  },
  {
    what: 'a new study with the name of an existing one',
    args: [...search, '--study', 'one', '--store', 'store.db'],
    code: 1,
    says: ["study 'one' already exists in", 'store.db', 'npx tsnas search --resume one'],
  },
  // Latency tables are checked against the input the costs use, by every evaluator.
  {
    what: 'search, synthetic evaluator: a 1x28x28 table for 3x32x32 costs',
    args: [...search, '--constraint', 'latency<=3ms', '--lut', 'small.lut.json', '--store', 's.db'],
    code: 1,
    says: [
      'small.lut.json was built for input 1x28x28, not 3x32x32',
      "the space's input: the synthetic evaluator does not change it",
      'npx tsnas lut build fbnet-s --input 3x32x32',
    ],
    not: ['give --input'],
  },
  {
    what: 'cost: the same table refused the same way',
    args: ['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', 'small.lut.json'],
    code: 1,
    says: ['small.lut.json was built for input 1x28x28, not 3x32x32', 'give --input 1x28x28'],
  },
  {
    what: "a user's space file named like a built-in: the hint builds that file",
    args: ['search', 'random', '--space', 'own/fbnet-s.yaml', '--evaluator', 'synthetic', '--lut', 'small.lut.json'],
    code: 1,
    says: ['npx tsnas lut build own/fbnet-s.yaml --input 3x32x32'],
    not: ['lut build fbnet-s '],
  },
  // One-shot searches (spos, abs): settings that cannot work, refused before the supernet trains.
  {
    what: 'search spos: more parents than the population',
    args: ['search', 'spos', '--space', 'fbnet-s', '--data', 'synthetic', '--parents', '60', '--store', 's.db'],
    code: 1,
    says: ["strategy 'spos'", 'parents must be at most the population', '--parents <= --population'],
  },
  {
    what: 'search abs: a target of more paths than the space has',
    args: ['search', 'abs', '--space', 'fbnet-s', '--data', 'synthetic', '--target-paths', '1e9', '--store', 's.db'],
    code: 1,
    says: ['--target-paths 1000000000', "'fbnet-s' has only 387420489 paths", 'give a smaller --target-paths'],
  },
  {
    what: 'search spos without training data',
    args: ['search', 'spos', '--space', 'fbnet-s', '--evaluator', 'synthetic', '--store', 's.db'],
    code: 1,
    says: ['one-shot search trains a supernet', 'give --data D'],
  },
  {
    what: 'search spos: a mutation rate of 0',
    args: ['search', 'spos', '--space', 'fbnet-s', '--data', 'synthetic', '--mutation-rate', '0', '--store', 's.db'],
    code: 1,
    says: ['--mutation-rate', "got '0'"],
  },
  // Too small a split: refused before the first trial, not NaN% or ten failed trials.
  {
    what: 'train --limit-train 5 (no validation images; no run directory made)',
    spawn: true,
    args: ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '--limit-train', '5', '-o', 'run5'],
    code: 1,
    says: ['--limit-train 5', 'no validation images', 'give --limit-train 50 or more'],
    not: ['NaN%'],
  },
  {
    what: 'search --limit-train 5 (refused before the first trial; no store made)',
    args: ['search', 'random', '--space', 'fbnet-s', '--data', 'synthetic', '--limit-train', '5', '--store', 's.db'],
    code: 1,
    says: ['--limit-train 5', 'no validation images', 'give --limit-train 50 or more'],
    not: ['trial'],
  },
  // Final training: a reference that is not an architecture of the space, a final field without its epochs.
  {
    what: 'search --final-epochs 1 --reference fbnet-s-nope (refused before the first trial; no store made)',
    args: [
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--data',
      'synthetic',
      '--final-epochs',
      '1',
      '--reference',
      'fbnet-s-nope',
      '--store',
      's.db',
    ],
    code: 1,
    says: ["reference 'fbnet-s-nope'", '--reference', "space 'fbnet-s'", 'named architectures', 'fbnet-s-baseline'],
    not: ['trial'],
  },
  {
    what: 'search --reference without --final-epochs',
    args: [
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--data',
      'synthetic',
      '--reference',
      'fbnet-s-baseline',
      '--store',
      's.db',
    ],
    code: 1,
    says: ['final.references', '--final-epochs N'],
    not: ['trial'],
  },
  {
    what: 'search --final-epochs with a synthetic evaluator (no data to train on)',
    args: [
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--evaluator',
      'synthetic',
      '--final-epochs',
      '2',
      '--store',
      's.db',
    ],
    code: 1,
    says: ['--final-epochs', 'give --data D'],
    not: ['trial'],
  },
  // A table value that is not a number.
  {
    what: 'a table whose mapped field holds quoted numbers',
    args: [
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--evaluator',
      'table:quoted.json',
      '--metric',
      'accuracy=val_acc',
    ],
    code: 1,
    says: ["the field 'val_acc' of table", 'quoted.json holds no numbers', '"0.90" (a string)'],
    not: ['(fields: )'],
  },
  // Output files name themselves.
  {
    what: 'study report to a full device',
    args: ['study', 'report', 'one', '--store', 'store.db', '-o', '/dev/full'],
    code: 1,
    says: ['cannot write the report /dev/full', 'ENOSPC'],
  },
  {
    what: 'study report under a file',
    args: ['study', 'report', 'one', '--store', 'store.db', '-o', 'notes.db/report.html'],
    code: 1,
    says: ['cannot write the report notes.db/report.html', 'a part of its path is a file'],
  },
  // Where no directory can be made (/proc, /sys): at once, naming the path and the reason (Node's
  // recursive mkdir loops forever under /proc: real processes, with a hang guard).
  {
    what: 'export -o under /proc',
    spawn: true,
    timeoutMs: 120_000,
    args: ['export', 'fbnet-s', 'fbnet-s-baseline', '--no-verify', '-o', '/proc/tsnas-nonexist/x.onnx'],
    code: 1,
    says: [
      'cannot write the ONNX model /proc/tsnas-nonexist/x.onnx',
      'cannot create the directory /proc/tsnas-nonexist',
      'does not allow new directories',
    ],
  },
  {
    what: 'study report -o under /sys',
    spawn: true,
    timeoutMs: 120_000,
    args: ['study', 'report', 'one', '--store', 'store.db', '-o', '/sys/tsnas-nonexist/r.html'],
    code: 1,
    says: ['cannot write the report /sys/tsnas-nonexist/r.html', 'cannot create the directory /sys/tsnas-nonexist'],
  },
  // A run directory resumes only the same run.
  {
    what: 'train: another data set in a run directory',
    spawn: true,
    args: [...trainSmall, '--data', 'synthetic:5', '-o', 'run'],
    code: 1,
    says: [
      'run holds the checkpoint of another run',
      'data: "synthetic:2" in the checkpoint, "synthetic:5" now',
      'give another run directory',
    ],
    not: ['resumed'],
  },
  {
    what: 'train: another architecture in a run directory',
    args: [
      'train',
      'fbnet-s',
      'fbnet-s-baseline',
      '--data',
      'synthetic:2',
      '--epochs',
      '1',
      '--limit-train',
      '100',
      '-o',
      'run',
    ],
    code: 1,
    says: ['run holds the checkpoint of another run', `arch: "${SMALL_ARCH}" in the checkpoint`],
    not: ['loadStateDict'],
  },
  {
    what: 'train: another recipe (epochs) in a run directory',
    args: [...trainSmall.slice(0, 3), '--epochs', '2', '--limit-train', '100', '--data', 'synthetic:2', '-o', 'run'],
    code: 1,
    says: ['recipe.epochs: 1 in the checkpoint, 2 now'],
  },
  // A network too large to allocate.
  {
    what: 'train: an architecture too large for any memory',
    args: [
      'train',
      'huge.yaml',
      'fbnet-s-baseline',
      '--data',
      'synthetic',
      '--epochs',
      '1',
      '--limit-train',
      '100',
      '-o',
      'hugerun',
    ],
    code: 1,
    says: [
      'the network is too large',
      'parameters',
      'its largest layer by weights is head (conv_k1',
      'a smaller --batch-size',
    ],
  },
  // Devices and shared stores (issue 16).
  {
    what: 'train: a device that is no device',
    args: ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '--device', 'gpu0'],
    code: 1,
    says: ['--device must be cpu, cuda or cuda:N', "'gpu0'"],
    maxLines: 2,
  },
  {
    what: 'bench engine: --device cuda on a libtorch without CUDA',
    args: ['bench', 'engine', '--steps', '1', '--device', 'cuda'],
    code: 1,
    says: ['--device cuda', 'no CUDA device', 'TSNAS_LIBTORCH=', 'CUDA libtorch', '--device cpu'],
  },
  {
    what: 'search: a PostgreSQL store no server answers',
    args: [...search, '--store', 'postgres://tsnas@127.0.0.1:1/tsnas'],
    code: 1,
    says: [
      'cannot reach the PostgreSQL server of the study store postgres://tsnas@127.0.0.1:1/tsnas',
      'ECONNREFUSED',
      'host and port of --store',
    ],
  },
  // Store addresses are parsed, not guessed; read-only commands never make a store (issue 23).
  ...[
    [
      'mysql://root:secret@127.0.0.1/tsnas',
      ["'mysql:' is not one of its forms", 'sqlite:PATH', 'postgres://USER[:PASSWORD]@HOST[:PORT]/DB'],
    ],
    [
      'http://127.0.0.1:8080/x',
      ["'http:' is not one of its forms", 'sqlite:PATH', 'postgres://USER[:PASSWORD]@HOST[:PORT]/DB'],
    ],
    [
      'postgres:/tsnas@127.0.0.1/tsnas',
      ['two slashes after', 'sqlite:PATH', 'postgres://USER[:PASSWORD]@HOST[:PORT]/DB'],
    ],
    ['postgres://tsnas@127.0.0.1:99999/tsnas', ["'99999' is not a port number", '1-65535', 'HOST:PORT']],
  ].flatMap(([store, says]): BadInput[] =>
    [search, ['study', 'list'], ['worker', 'w']].map((cmd) => ({
      what: `${cmd.slice(0, 2).join(' ')}: the store address ${store}`,
      args: [...cmd, '--store', store as string],
      code: 1,
      says: says as string[],
      not: ['secret'],
    })),
  ),
  ...[
    ['study', 'list'],
    ['study', 'show', 'one'],
    ['study', 'report', 'one', '-o', 'r.html'],
    ['study', 'answer', 'one', '--budget', 'flops<=3M'],
    ['dashboard'],
  ].map((cmd): BadInput => ({
    what: `${cmd.slice(0, 2).join(' ')}: a store that does not exist (it is not made)`,
    args: [...cmd, '--store', 'missing/x.db'],
    code: 1,
    says: ['no study store at', 'missing/x.db'],
  })),
  {
    what: 'worker: a study the store does not have',
    args: ['worker', 'nosuch', '--store', 'store.db'],
    code: 1,
    says: ["no study 'nosuch' in", 'studies: '],
  },
  {
    what: 'worker: a store that does not exist',
    args: ['worker', 'w', '--store', 'missing.db'],
    code: 1,
    says: ['no study store at', 'missing.db', '--store FILE or URL'],
  },
  // tsnas predict (issue 24): images that do not decode, files that are not models, models without a description.
  {
    what: 'predict: an image that does not decode (a truncated JPEG)',
    args: ['predict', 'run', path.join('pics-trunc', 'b', '1.jpg')],
    code: 1,
    says: [path.join('pics-trunc', 'b', '1.jpg'), 'cannot decode the image', 'JPEG, PNG, WebP, GIF or TIFF'],
  },
  {
    what: 'predict: an image that does not exist',
    args: ['predict', 'run', 'nowhere.png'],
    code: 1,
    says: ['nowhere.png', 'no such image file'],
  },
  {
    what: 'predict: a model that is neither a checkpoint nor ONNX (a text file)',
    args: ['predict', 'notes.db', path.join('pics-empty', 'a', '0.png')],
    code: 1,
    says: ['model notes.db', 'neither a tsnas checkpoint nor an ONNX model', "a run directory of 'tsnas train'"],
  },
  {
    what: 'predict: a folder that is not a run directory',
    args: ['predict', 'pics-empty', path.join('pics-empty', 'a', '0.png')],
    code: 1,
    says: ['model pics-empty', 'without checkpoint.safetensors', "a run directory of 'tsnas train'"],
  },
  {
    what: 'predict: a model that does not exist',
    args: ['predict', 'nowhere.onnx', path.join('pics-empty', 'a', '0.png')],
    code: 1,
    says: ['model nowhere.onnx', 'no such file or directory', 'an ONNX model written by'],
  },
  {
    what: 'predict: an ONNX model without a description still predicts, with a note that says what is assumed',
    args: ['predict', 'bare.onnx', path.join('pics-empty', 'a', '0.png')],
    code: 0,
    says: ['bare.onnx', 'does not describe its preprocessing', 'assumed mean 0.5 and std 0.5'],
  },
  {
    what: 'predict: --top 0',
    args: ['predict', 'run', path.join('pics-empty', 'a', '0.png'), '--top', '0'],
    code: 1,
    says: ['--top'],
    maxLines: 2,
  },
  {
    what: 'export --web: a folder that is a file',
    args: ['export', '--checkpoint', 'run', '--web', 'notes.db'],
    code: 1,
    says: ['cannot write the web page into notes.db', 'it is a file, not a folder'],
  },
  // NARS settings that would do something else than they say, refused before any work.
  {
    what: 'search nars: more rounds than trials (they ran as 8 rounds of 1 under a stored 20)',
    args: ['search', 'nars', '--space', 'fbnetv3-s', '--evaluator', 'synthetic', '--trials', '8', '--rounds', '20'],
    code: 1,
    says: ['rounds 20 cannot fit trials 8', 'at least one candidate', 'rounds to 8 or fewer'],
  },
  {
    what: 'search nars: a latency window without a latency table',
    args: ['search', 'nars', '--space', 'fbnetv3-s', '--evaluator', 'synthetic', '--window', 'latency<=5ms'],
    code: 1,
    says: ['the window bounds latency (latency<=5ms)', 'no latency table'],
    not: ['widen'],
  },
  // NSE's settings, refused before any training (nothing written).
  {
    what: 'search nse: keep as large as the subset (no room for unexplored ops)',
    args: ['search', 'nse', '--space', 'nse-s', '--data', 'synthetic', '--subset-size', '3', '--keep', '3'],
    code: 1,
    says: ["invalid options for strategy 'nse'", 'keep must be less than subsetSize', 'unexplored ops'],
  },
  {
    what: 'search nse: a latency penalty without a latency table',
    args: ['search', 'nse', '--space', 'nse-s', '--data', 'synthetic', '--cost', 'latency'],
    code: 1,
    says: ['latency penalty needs a latency table', '--lut FILE', '--cost flops'],
  },
  {
    what: 'search nse: no data to train the supernet on',
    args: ['search', 'nse', '--space', 'nse-s', '--evaluator', 'synthetic'],
    code: 1,
    says: ['the nse strategy trains a supernet', 'give --data D'],
  },
];

test('bad inputs: each command fails with its exit code and a message naming what, where and what to do; nothing on disk changes', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-bad-inputs-'));
  try {
    const fx = path.join(root, 'fixtures');
    fs.mkdirSync(fx);
    await makeFixtures(fx);
    const failures: string[] = [];
    const runCase = async (c: BadInput, i: number) => {
      const cwd = path.join(root, `case-${i}`);
      fs.cpSync(fx, cwd, { recursive: true });
      const before = tree(cwd);
      // A hang guard only (10 minutes), not a timing assertion.
      const r: CliRun = c.spawn
        ? await tsnasAsync(c.args, { cwd, timeoutMs: c.timeoutMs ?? 600_000 })
        : await tsnasInProcess(c.args, { cwd });
      const problems: string[] = [];
      if (r.code !== c.code) problems.push(`exit code ${r.code}, expected ${c.code}`);
      for (const w of c.says) if (!r.stderr.includes(w)) problems.push(`no '${w}'`);
      for (const w of c.not ?? []) if (r.stderr.includes(w)) problems.push(`says '${w}'`);
      const lines = r.stderr.trimEnd().split('\n').length;
      if (c.maxLines !== undefined && lines > c.maxLines)
        problems.push(`${lines} lines on stderr, at most ${c.maxLines}`);
      const after = tree(cwd);
      const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
        (k) => before[k] !== after[k],
      );
      if (changed.length) problems.push(`changed on disk: ${changed.join(', ')}`);
      if (problems.length)
        failures.push(
          `${c.what}\n  tsnas ${c.args.join(' ')}\n  ${problems.join('\n  ')}\n  stderr: ${r.stderr.trim()}`,
        );
      fs.rmSync(cwd, { recursive: true, force: true });
    };
    // The real processes run beside the in-process cases (which run one after the other).
    const spawned = Promise.all(CASES.map((c, i) => (c.spawn ? runCase(c, i) : null)));
    for (const [i, c] of CASES.entries()) if (!c.spawn) await runCase(c, i);
    await spawned;
    assert.deepEqual(
      failures,
      [],
      `${failures.length} of ${CASES.length} bad inputs misbehaved:\n\n${failures.join('\n\n')}`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
