// One worker of a study, with the study's own configuration (only the threads are this
// process's): the shared loop (runWorker) until the study is done, then the study's finalize and
// final training if this is the last worker to end (finalizeStudy, 'shared'). `tsnas worker` and
// the library's `study.optimize(fn, { worker: true })` are this, each with its own evaluator.
import type { Evaluator } from '../evaluate/evaluator';
import type { StudyStore } from '../study/store';
import { runWorker, type WorkerOptions } from '../study/runWorker';
import type { SearchSummary } from '../study/runSearch';
import type { StudyRecord } from '../study/types';
import { newWorkerId } from '../study/worker';
import { applyResumeOverrides, type SearchConfig } from './config';
import { finalizeStudy, type StudyFinalResult } from './finalizeStudy';
import { loopParts, setupSearch, type SearchSetup } from './setupSearch';
import { studyConfig } from './studyConfig';

export interface StudyWorkerOptions extends Pick<
  WorkerOptions,
  'staleAfterMs' | 'deadline' | 'onHeartbeat' | 'onTrial'
> {
  store: StudyStore;
  study: StudyRecord;
  /** This worker's intra-op threads (default: the study's). */
  threads?: number;
  /** The evaluator itself, for a study whose evaluator no store can hold (a user's function). */
  evaluator?: Evaluator;
  log: (line: string) => void;
}

export interface StudyWorkerResult {
  config: SearchConfig;
  setup: SearchSetup;
  summary: SearchSummary;
  finalized: StudyFinalResult;
}

export async function runStudyWorker(o: StudyWorkerOptions): Promise<StudyWorkerResult> {
  const { store, study, log } = o;
  const config = applyResumeOverrides(
    studyConfig(study),
    o.threads ? { train: { threads: o.threads } } : {},
    study.name,
  );
  const setup = setupSearch(config, o.evaluator ? { evaluator: o.evaluator } : {});
  const me = newWorkerId();
  const summary = await runWorker({
    store,
    study,
    ...loopParts(setup),
    trials: config.trials,
    maxFailed: config.maxFailed ?? undefined,
    me,
    log,
    ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}),
    ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
    ...(o.onHeartbeat ? { onHeartbeat: o.onHeartbeat } : {}),
    ...(o.onTrial ? { onTrial: o.onTrial } : {}),
  });
  // The last worker to end finalizes the study (once, whichever it is); the others leave it to it.
  const finalized = await finalizeStudy({
    store,
    study,
    setup,
    log,
    mode: 'shared',
    wait: false,
    me,
    ...(o.staleAfterMs !== undefined ? { staleAfterMs: o.staleAfterMs } : {}),
  });
  return { config, setup, summary, finalized };
}
