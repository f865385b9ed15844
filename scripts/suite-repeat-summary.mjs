// scripts/suite-repeat.sh's bookkeeping. With --record, reads one run's TAP file (Node's tap
// reporter) and appends the run to OUT/runs.tsv and its failing tests to OUT/failures.tsv; without,
// prints the tables: the runs, and each test that failed with its count per BLAS and load.
import * as fs from 'node:fs';
import * as path from 'node:path';

const [out, flag, ...rest] = process.argv.slice(2);
const tsv = (file) =>
  fs
    .readFileSync(path.join(out, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t'));
const clean = (s) => s.replace(/[\t\n\r]+/g, ' ').trim();

/** The failing leaves of a TAP stream: [file, test path, first line of the error]. */
function failures(tap) {
  const lines = tap.split('\n');
  const stack = []; // subtest names by depth
  const failed = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const indent = line.length - line.trimStart().length;
    const depth = Math.floor(indent / 4);
    const t = line.trim();
    let m = /^# Subtest: (.*)$/.exec(t);
    if (m) {
      stack.length = depth;
      stack[depth] = m[1];
      continue;
    }
    m = /^not ok \d+ - (.*?)(?: # .*)?$/.exec(t);
    if (!m) continue;
    const names = [...stack.slice(0, depth), m[1]];
    let error = '';
    let file = '';
    for (let j = i + 1; j < lines.length && j < i + 80; j++) {
      const loc = /^\s*location: '(.*?):\d+:\d+'$/.exec(lines[j]);
      if (loc && !file) file = loc[1];
      const e = /^\s*error: (.*)$/.exec(lines[j]);
      if (e) {
        error = e[1];
        if (/^[|>]-?$/.test(error.trim())) error = (lines[j + 1] ?? '').trim();
        break;
      }
      if (/^\s*(not )?ok \d+ /.test(lines[j]) || /^\s*# Subtest:/.test(lines[j])) break;
    }
    failed.push({ names, file, error: error.replace(/^'|'$/g, '') });
  }
  // Only the leaves: a parent (a file, a describe block) fails because a child did.
  const key = (f) => f.names.join('\u0000');
  return failed.filter((f) => !failed.some((g) => g !== f && key(g).startsWith(key(f) + '\u0000')));
}

if (flag === '--record') {
  const [id, sha, blas, load, started, secs, rc] = rest;
  const tapFile = path.join(out, `${id}.tap`);
  const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
  const count = (k) => (new RegExp(`^# ${k} (\\d+)$`, 'm').exec(tap) ?? [])[1] ?? '?';
  fs.appendFileSync(
    path.join(out, 'runs.tsv'),
    [id, sha.slice(0, 7), blas, load, started, secs, rc, count('tests'), count('pass'), count('fail')].join('\t') + '\n',
  );
  const fails = failures(tap);
  for (const f of fails) {
    // Node 20's TAP puts each file's tests at the top level; the file is in the test's location.
    const file = (f.file || f.names[0]).replace(/^.*dist\//, '');
    const name = f.file ? f.names.join(' > ') : f.names.slice(1).join(' > ');
    fs.appendFileSync(
      path.join(out, 'failures.tsv'),
      [id, sha.slice(0, 7), blas, load, file, clean(name), clean(f.error).slice(0, 300)].join('\t') + '\n',
    );
  }
  if (!tap) console.error(`[suite-repeat] ${id}: no TAP output (the run stopped before the tests: see ${id}.log)`);
  console.error(`[suite-repeat] ${id}: exit ${rc} in ${secs} s, tests ${count('tests')}, fail ${count('fail')}`);
} else {
  const runs = tsv('runs.tsv');
  const fails = tsv('failures.tsv');
  console.log('| run | commit | BLAS | load | s | exit | tests | pass | fail |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) console.log(`| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[5]} | ${r[6]} | ${r[7]} | ${r[8]} | ${r[9]} |`);
  const groups = new Map(); // commit/blas/load -> run count
  for (const r of runs) groups.set(`${r[1]} ${r[2]} load ${r[3]}`, (groups.get(`${r[1]} ${r[2]} load ${r[3]}`) ?? 0) + 1);
  console.log('\n| commit, BLAS, load | runs | green | failures (test: count) |');
  console.log('|---|---|---|---|');
  for (const [g, n] of groups) {
    const inGroup = runs.filter((r) => `${r[1]} ${r[2]} load ${r[3]}` === g);
    const green = inGroup.filter((r) => r[6] === '0').length;
    const per = new Map();
    for (const f of fails.filter((f) => `${f[1]} ${f[2]} load ${f[3]}` === g)) {
      const k = `${f[4]}: ${f[5]}`;
      per.set(k, (per.get(k) ?? 0) + 1);
    }
    console.log(`| ${g} | ${n} | ${green} | ${[...per].map(([k, c]) => `${k}: ${c}`).join('; ') || 'none'} |`);
  }
  if (fails.length) {
    console.log('\nFailures with their messages:');
    for (const f of fails) console.log(`- ${f[0]} ${f[4]} > ${f[5]}: ${f[6]}`);
  }
}
