// The end of a study's run, after its search loop: the plug-in's finalize hook (or, for a method
// without one, the final network measured in the latency table's runtime) and the final training
// (when the study asks for it). A single search runs it in its own process. When many workers
// share a study it runs exactly once: a worker that ends while no other worker's trial runs claims
// the store phase 'finalize:<best trial>' (one transaction: study_phases, as a strategy's prepare),
// beats it while it works and marks it done; the others read its results from the study's state.
// A claimer that dies (kill -9: its pid is gone; another host: no heartbeat for 5 minutes) loses the
// claim to the next worker, `tsnas study finalize` or a resumed search, which continue its work
// from what it stored (the final network is read back, the final training continues from its
// checkpoints). A new best trial (a resume with more trials) is a new phase, and so are more
// final runs per network (a resume that raised `final.seeds`).
import { stateKey } from '../study/stateKey';
import { bestTrial, trialWorkerAlive, type StudyStore } from '../study/store';
import { throttle } from '../study/throttle';
import type { StudyRecord } from '../study/types';
import { newWorkerId, type WorkerId } from '../study/worker';
import { HEARTBEAT_MS } from '../study/runSearch';
import { DEFAULT_STALE_AFTER_MS } from '../study/runWorker';
import { FINAL_NETWORK, measureFinalNetwork, type FinalNetwork } from './finalNetwork';
import { FINAL_TRAINING, trainFinalNetworks, type FinalTrainingState } from './finalTraining';
import { getStrategy } from './registry';
import { pluginStudy, type SearchSetup } from './setupSearch';

/** Who ran a study's finalize, and when (state 'final.runs': one entry per run that did the work). */
export interface FinalizeRun {
  worker: string;
  /** The best trial it finalized. */
  trial: number;
  at: number;
}
export const FINALIZE_RUNS = stateKey<FinalizeRun[]>('final.runs');

export interface FinalizeStudyOptions {
  store: StudyStore;
  study: StudyRecord;
  setup: Pick<SearchSetup, 'config' | 'options' | 'latencyTable' | 'space' | 'evaluator' | 'costs' | 'constraints'>;
  log: (line: string) => void;
  /**
   * 'single': this process holds the study alone (a single search): it finalizes without a claim.
   * 'shared': many workers share the study: claim it, so that it runs once.
   */
  mode: 'single' | 'shared';
  /** Shared: while another live worker finalizes, wait for it (and take over if it dies), else leave it to them. */
  wait?: boolean;
  /** Shared: this process's worker id (default a fresh one). */
  me?: WorkerId;
  /** Shared: another worker's running trial whose heartbeat is older than this counts as lost (default 60 s). */
  staleAfterMs?: number;
  /** Shared: how often to look again while waiting (default 500 ms). */
  pollMs?: number;
}

export interface StudyFinalResult {
  /** The final network (the plug-in's finalize or the latency table's measurement), or null. */
  final: FinalNetwork | null;
  finalTraining: FinalTrainingState | null;
  /**
   * 'ran': this call did it; 'done': another worker had done it (read back); 'busy': another
   * live worker is doing it (shared, without wait); 'running': trials of other live workers still
   * run (shared: the last of them finalizes); 'nothing': no complete trial, or nothing to do (no
   * finalize hook, latency table or final training).
   */
  outcome: 'ran' | 'done' | 'busy' | 'running' | 'nothing';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * A finalize claim whose heartbeat is older than this is taken over (a claimer of this host whose
 * process ended loses it at once). Longer than a trial's: a finalize hook beats only through its
 * log lines.
 */
export const FINALIZE_STALE_AFTER_MS = 5 * 60_000;

/** The study's finalize and final training (see the file's comment for when it runs under many workers). */
export async function finalizeStudy(o: FinalizeStudyOptions): Promise<StudyFinalResult> {
  const { store, study, setup, log } = o;
  const { config } = setup;
  // Nothing to do: no finalize hook, no latency table to measure in, no final training.
  if (!getStrategy(config.strategy).finalize && !config.lut && !config.final)
    return { final: null, finalTraining: null, outcome: 'nothing' };
  const best = bestTrial(store.trials(study.id), study.objective.metric, study.objective.direction);
  if (!best) return { final: null, finalTraining: null, outcome: 'nothing' };
  if (o.mode === 'single') return { ...(await runFinalize(o, () => {})), outcome: 'ran' };
  const me = o.me ?? newWorkerId();
  const staleMs = o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const pollMs = o.pollMs ?? 500;
  // More final runs (a resume that raised `final.seeds`) are another phase, as a new best trial is.
  const runs = config.final?.seeds ?? 1;
  const phase = `finalize:${best.number}${runs > 1 ? `:runs${runs}` : ''}`;
  for (let said = false; ;) {
    // The last worker finalizes: while another live worker's trial runs, the best may still change.
    const now = Date.now();
    const running = store
      .trials(study.id, ['running'])
      .filter((t) => t.worker !== me.id && trialWorkerAlive(t, staleMs, now));
    if (running.length) {
      if (!o.wait) return { final: null, finalTraining: null, outcome: 'running' };
      await sleep(pollMs);
      continue;
    }
    const claim = store.claimPhase(study.id, phase, me, FINALIZE_STALE_AFTER_MS);
    if (claim === 'done') return { ...readFinal(store, study, setup, best.number), outcome: 'done' };
    if (claim === 'busy') {
      if (!o.wait) return { final: null, finalTraining: null, outcome: 'busy' };
      if (!said) log(`study '${study.name}': another worker is finalizing it; waiting for it`);
      said = true;
      await sleep(pollMs);
      continue;
    }
    // Ours: beat the claim while it runs: a timer while it waits, the final training through its
    // batches, a finalize hook through its log lines (it computes synchronously between them).
    const beat = throttle(() => store.beatPhase(study.id, phase, me), HEARTBEAT_MS);
    const timer = setInterval(beat, HEARTBEAT_MS);
    timer.unref();
    try {
      const beatingLog = (line: string) => {
        beat();
        log(line);
      };
      const result = await runFinalize({ ...o, log: beatingLog }, beat);
      store.setState(study.id, FINALIZE_RUNS, [
        ...(store.getState(study.id, FINALIZE_RUNS) ?? []),
        { worker: me.id, trial: best.number, at: Date.now() },
      ]);
      store.finishPhase(study.id, phase, me);
      return { ...result, outcome: 'ran' };
    } catch (err) {
      store.releasePhase(study.id, phase, me);
      throw err;
    } finally {
      clearInterval(timer);
    }
  }
}

/** What a finished finalize stored, as its run returned it. */
function readFinal(
  store: StudyStore,
  study: StudyRecord,
  setup: FinalizeStudyOptions['setup'],
  bestNumber: number,
): Omit<StudyFinalResult, 'outcome'> {
  const final = store.getState(study.id, FINAL_NETWORK);
  return {
    final: final && final.trial === bestNumber ? final : null,
    finalTraining: setup.config.final && setup.config.data ? (store.getState(study.id, FINAL_TRAINING) ?? null) : null,
  };
}

async function runFinalize(o: FinalizeStudyOptions, heartbeat: () => void): Promise<Omit<StudyFinalResult, 'outcome'>> {
  const { store, study, setup, log } = o;
  const { config } = setup;
  const plugin = getStrategy(config.strategy);
  let final: FinalNetwork | null = null;
  // Every search with a latency table ends verified in the table's runtime: methods with a
  // finalize hook do it there, the others here (the same shared measurement).
  const finalize = plugin.finalize ?? (config.lut ? measureFinalNetwork : undefined);
  if (finalize) {
    try {
      final = await finalize({
        ...pluginStudy(setup),
        store,
        study,
        space: setup.space,
        evaluator: setup.evaluator,
        costs: setup.costs,
        constraints: setup.constraints,
        log,
      });
    } catch (err) {
      log(
        `${config.strategy}: could not measure the final network's latency: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  heartbeat();
  // Final training (when the study asks for it): the result and its references, whatever the strategy.
  const finalTraining = config.final
    ? await trainFinalNetworks({
        store,
        study,
        space: setup.space,
        evaluator: setup.evaluator,
        costs: setup.costs,
        latencyTable: setup.latencyTable,
        log,
        heartbeat,
      })
    : null;
  return { final, finalTraining };
}
