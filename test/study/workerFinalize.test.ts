// A study's finalize and final training under many workers (tsnas worker, real processes), on
// SQLite and on PostgreSQL (where the study's files, the final checkpoints among them, are kept
// in the store): two workers on one study finalize it exactly once (one run recorded, the final
// networks trained once, the other worker leaves it to the last one); a worker killed with kill -9
// in the middle of the final training leaves its claim to `tsnas study finalize`, which continues
// the training from its checkpoint and completes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { studyInit } from '../../src/search/config';
import { FINAL_TRAINING } from '../../src/search/finalTraining';
import { FINALIZE_RUNS } from '../../src/search/finalizeStudy';
import { configureSearch } from '../../src/search/setupSearch';
import { StudyStore } from '../../src/study/store';
import { testDatabase } from '../helpers/postgres';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { PACKAGE_ROOT, tsnasAsync } from '../helpers/tsnasCli';
import { startWorker as startWorker_, type WorkerProcess } from '../helpers/workerProcess';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REFERENCE = 'ir_k3_e3/ir_k3_e3-ir_k3_e3';

const backends: Array<{ name: string; location: (dir: string) => Promise<string> }> = [
  { name: 'sqlite', location: async (dir) => path.join(dir, 'tsnas.db') },
  { name: 'postgres', location: async () => (await testDatabase()).url },
];

async function setup(
  location: (dir: string) => Promise<string>,
  finalEpochs: number,
  finalLimitTrain: number,
  finalSeeds = 1,
): Promise<{ dir: string; db: string; studies: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-worker-final-'));
  const spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, `${TINY_SPACE_YAML}architectures:\n  tiny-base: ${REFERENCE}\n`);
  const db = await location(dir);
  const studies = path.join(dir, 'studies');
  const config = configureSearch({
    strategy: 'random',
    space: spaceFile,
    data: 'synthetic:0',
    trials: 4,
    train: { epochs: 1, limitTrain: 200, threads: 1 },
    final: { epochs: finalEpochs, limitTrain: finalLimitTrain, references: ['tiny-base'], seeds: finalSeeds },
  });
  const store = StudyStore.open(db, { studiesRoot: studies });
  try {
    store.createStudy(studyInit('w', config));
  } finally {
    store.close();
  }
  return { dir, db, studies };
}

type Worker = WorkerProcess;

const startWorker = (db: string, studies: string): Worker =>
  startWorker_('w', db, { cwd: PACKAGE_ROOT, env: { ...process.env, TSNAS_STUDIES_DIR: studies } });

function read<T>(db: string, studies: string, f: (store: StudyStore, id: number) => T): T {
  const store = StudyStore.open(db, { studiesRoot: studies });
  try {
    return f(store, store.requireStudy('w').id);
  } finally {
    store.close();
  }
}

for (const b of backends) {
  test(`${b.name}: two workers on one study: the last one finalizes it, once (one run recorded, each final network trained its 2 times)`, async () => {
    const { dir, db, studies } = await setup(b.location, 1, 300, 2);
    try {
      const workers = [startWorker(db, studies), startWorker(db, studies)];
      const codes = await Promise.all(workers.map((w) => w.exit));
      const logs = workers.map((w) => w.stderr());
      assert.deepEqual(codes, [0, 0], logs.join('\n'));
      const runs = read(db, studies, (s, id) => s.getState(id, FINALIZE_RUNS) ?? []);
      assert.equal(runs.length, 1, `one finalize run: ${JSON.stringify(runs)}\n${logs.join('\n')}`);
      const trained = logs.map((l) => (l.match(/^final training: .* epoch 1\/1/gm) ?? []).length);
      assert.deepEqual(
        [...trained].sort(),
        [0, 4],
        `one worker trained the result and the reference twice each, the other nothing:\n${logs.join('\n')}`,
      );
      const state = read(db, studies, (s, id) => s.getState(id, FINAL_TRAINING));
      assert.deepEqual(
        state?.networks.map((n) => [n.role, n.replica]),
        [
          ['result', 0],
          ['reference', 0],
          ['result', 1],
          ['reference', 1],
        ],
      );
      assert.equal(new Set(state!.networks.map((n) => n.seed)).size, 4, 'each run its own seed');
      assert.equal(state!.comparisons[0]!.test?.name, "Welch's t-test");
      for (const n of state!.networks) assert.ok(Number.isFinite(n.testAcc), `${n.name} tested`);
      // Finalizing again by hand finds it done and changes nothing.
      const again = await tsnasAsync(['study', 'finalize', 'w', '--store', db, '--json'], {
        env: { TSNAS_STUDIES_DIR: studies },
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.last).outcome, 'done');
      assert.equal(
        read(db, studies, (s, id) => s.getState(id, FINALIZE_RUNS)!.length),
        1,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${b.name}: a worker killed with kill -9 during the final training: \`tsnas study finalize\` takes its claim over and completes it`, async () => {
    // Enough final epochs that the worker is still training when it is killed.
    const { dir, db, studies } = await setup(b.location, 40, 600);
    try {
      const w = startWorker(db, studies);
      let exited = false;
      void w.exit.then(() => (exited = true));
      // The kill comes once the worker has claimed the finalize and started the final training.
      const phaseRunning = () =>
        read(db, studies, (s, id) =>
          s.driver
            .all<{ state: string }>("SELECT state FROM study_phases WHERE study_id = ? AND name LIKE 'finalize:%'", [
              id,
            ])
            .some((p) => p.state === 'running'),
        );
      while (!(phaseRunning() && /final training: .* epoch 1\//m.test(w.stderr()))) {
        if (exited) assert.fail(`the worker ended before it was killed:\n${w.stderr()}`);
        await sleep(25);
      }
      w.child.kill('SIGKILL');
      assert.equal(await w.exit, null);
      assert.equal(
        read(db, studies, (s, id) => s.getState(id, FINALIZE_RUNS)),
        undefined,
        'the killed run recorded none',
      );
      const r = await tsnasAsync(['study', 'finalize', 'w', '--store', db, '--json'], {
        env: { TSNAS_STUDIES_DIR: studies },
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.last) as { outcome: string; finalTraining: { networks: Array<{ testAcc: number }> } };
      assert.equal(out.outcome, 'ran');
      assert.equal(out.finalTraining.networks.length, 2);
      for (const n of out.finalTraining.networks) assert.ok(Number.isFinite(n.testAcc));
      assert.match(r.stderr, /continued from its checkpoint after epoch \d+/, 'the killed training continued');
      const runs = read(db, studies, (s, id) => s.getState(id, FINALIZE_RUNS)!);
      assert.equal(runs.length, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
