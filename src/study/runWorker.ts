// One of many workers on one study (Optuna's model: the store is the only coordinator). Any
// number of processes, on any machines that reach the store, run this loop on the same study:
//
//   join the study's workers (refused while a single search process holds its lease)
//   a one-off phase (the strategy's prepare: a supernet's training) is claimed by one worker
//     through the store; the others wait for it, then load what it checkpointed
//   until the study has its complete trials (or too many failed, or the strategy is done):
//     fail the trials of dead workers (a process of this host that ended, or a heartbeat older
//       than staleAfterMs) as interrupted, and queue their architectures again
//     tell the strategy every trial settled since it last looked (any worker's)
//     take a queued trial if there is one (exactly one worker gets it: a transaction, SKIP LOCKED)
//     else, if trials enough to reach the target are running, wait; else take the study's ask
//       lock (a phase of the store: one asking worker at a time), read the study again and ask
//       the strategy, with the running trials as pending (in `seen`, and `pending`) and the next
//       trial number as its index, and create the trial only if no worker created one since (else
//       read and ask again); release the lock
//     the strategy may answer "wait" (its next proposals depend on trials still running: the
//       next NARS round), or null while trials run elsewhere: poll until they settle, then ask
//       again (a lost one comes back through the queue); null with nothing running ends the worker
//     evaluate it, beating its heart, and finish it
//
// Work a strategy knows in advance (DNAS's proposals, a NARS round, NSE's retraining) is a plan in
// its own stored state, proposed item by item: the first item not seen. Since running trials are
// seen, each item goes to exactly one worker, and a lost one is queued again like any trial. The
// trial queue holds only such lost trials, which must be continued with their identity.
//
// What makes taking work atomic is the store's transactions, not timing: a trial number is taken
// once, a queued entry is taken once, a phase (and the ask lock) is claimed once. The waits only
// pace the polling.
//
// The trial cycle (ask context, proposal to trial, evaluate, finish, tell, push files, report),
// the heartbeat and the replay of settled trials are the single search's (TrialLoop, runSearch.ts);
// the membership, the phases, the queue and the waits are this form's own.
import { parseArch } from '../space/archFormat';
import { bestTrial, trialWorkerAlive } from './store';
import { isWait } from './strategy';
import { HEARTBEAT_MS, OWN_SYNC, pastDeadline, TrialLoop, type SearchOptions, type SearchSummary } from './runSearch';
import { isSettled, trialKey, type TrialRecord } from './types';
import { newWorkerId, type WorkerId } from './worker';

export interface WorkerOptions extends SearchOptions {
  /** A running trial whose heartbeat is older than this is failed as interrupted (default 60 s). */
  staleAfterMs?: number;
  /** How long to wait before looking again when the work left is running elsewhere (default 500 ms). */
  pollMs?: number;
  /** This worker's id (default: a fresh one for this process). */
  me?: WorkerId;
  /**
   * Called at every heartbeat (at most every HEARTBEAT_MS, also while a computing evaluator keeps
   * the event loop busy): e.g. a local worker looks whether the command that started it is gone.
   */
  onHeartbeat?: () => void;
}

export const DEFAULT_STALE_AFTER_MS = 60_000;
/** The store phase that serializes asks across workers (claimed per ask, released after it). */
const ASK_LOCK = 'ask';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWorker(o: WorkerOptions): Promise<SearchSummary> {
  const { store, study, strategy, space } = o;
  const log = o.log ?? (() => {});
  const metric = study.objective.metric;
  const maxFailed = o.maxFailed ?? Math.max(10, o.trials);
  const staleMs = o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const pollMs = o.pollMs ?? 500;
  const me = o.me ?? newWorkerId();
  store.joinStudy(study.id, me);
  let timer: ReturnType<typeof setInterval> | undefined;
  let interrupted = 0;
  try {
    const loop = new TrialLoop(o, me, o.onHeartbeat);
    const { ctx, heartbeat } = loop;
    // Evaluators that wait rather than compute (a remote job, a sleep) beat through this timer;
    // computing ones call heartbeat themselves, as in a single search.
    timer = setInterval(heartbeat, HEARTBEAT_MS);
    timer.unref();
    const files = ctx.files;
    const completeNow = () => store.trials(study.id, ['complete']).length;
    loop.replay(store.trials(study.id));
    if (strategy.prepare && completeNow() < o.trials) {
      for (;;) {
        const claim = store.claimPhase(study.id, 'prepare', me, staleMs);
        if (claim === 'busy') {
          heartbeat();
          await sleep(pollMs);
          continue;
        }
        // What an earlier holder of the phase, or the worker that ran it, left in the store.
        files?.pull(undefined, OWN_SYNC);
        if (claim === 'mine') {
          loop.phase = 'prepare';
          await strategy.prepare(ctx);
          loop.pushFiles();
          store.finishPhase(study.id, 'prepare', me);
          loop.phase = null;
        } else {
          // Another worker ran it: prepare again reads its checkpoints and skips what is done.
          await strategy.prepare(ctx);
        }
        break;
      }
    }

    /**
     * One ask, holding the ask lock: the study read again (it may have changed while the lock was
     * waited for), the strategy asked with the running trials as pending, and the trial created if
     * no worker created one since. 'again': look at the study again (work was queued,
     * or another worker created a trial); wait: nothing to ask until the pending trials settle.
     */
    const askOnce = async (): Promise<
      | 'again'
      | { wait: string }
      | { done: true }
      | {
          trial: TrialRecord;
          arch: ReturnType<typeof parseArch>;
          stopAfterEpochs: number | null;
          recipe: Record<string, unknown> | null;
        }
    > => {
      // Trials before the queue: a lost trial is failed and queued in one transaction, so it is
      // always in one of the two reads (running in the first, or queued in the second).
      const all = store.trials(study.id);
      const queued = store.queuedTrials(study.id);
      if (queued.length) return 'again';
      loop.replay(all);
      const history = all.filter(isSettled);
      const complete = history.filter((t) => t.state === 'complete').length;
      const running = all.filter((t) => t.state === 'running');
      if (complete + running.length >= o.trials) return 'again';
      const index = all.length === 0 ? 0 : all[all.length - 1]!.number + 1;
      // What the last asker wrote (a NARS refit's weights), as the store holds it.
      files?.pull(undefined, OWN_SYNC);
      const seen = new Set([...history, ...running].map(trialKey));
      const proposal = await strategy.ask(loop.askContext(index, history, seen, running));
      if (proposal === null) {
        // Done, but a trial running elsewhere may still be lost and queued again: stay for it.
        return running.length
          ? {
              wait: `the ${strategy.name} strategy has nothing more to propose: waiting for ${running.length} running trial(s)`,
            }
          : { done: true };
      }
      if (isWait(proposal)) {
        if (!running.length)
          throw new Error(
            `the ${strategy.name} strategy asked to wait (${proposal.wait}) while no trial is running or queued: a bug of the strategy`,
          );
        return { wait: `the ${strategy.name} strategy waits for ${running.length} running trial(s): ${proposal.wait}` };
      }
      const made = loop.newTrial(proposal);
      const trial = store.createTrialIfNext(study.id, index, made.trial);
      // Another worker created a trial since the study was read (one that took a queued trial).
      if (!trial) return 'again';
      return { trial, arch: proposal.arch, stopAfterEpochs: proposal.stopAfterEpochs ?? null, recipe: made.recipe };
    };

    let stopped: SearchSummary['stopped'] = 'target';
    let waiting: string | null = null;
    let lockBackoff = 0;
    /** Waits one poll; a reason is logged when it changes. */
    const pause = async (why: string | null) => {
      if (why !== null && why !== waiting) log(`worker ${me.id}: ${why}`);
      if (why !== null) waiting = why;
      heartbeat();
      await sleep(pollMs);
    };
    for (;;) {
      let all = store.trials(study.id);
      const now = Date.now();
      if (all.some((t) => t.state === 'running' && !trialWorkerAlive(t, staleMs, now))) {
        const dead = store.failDeadWorkersTrials(study.id, staleMs);
        if (dead.length) {
          interrupted += dead.length;
          log(
            `worker ${me.id}: trial(s) ${dead.map((t) => t.number).join(', ')} lost their worker: failed (interrupted) and queued again`,
          );
        }
        all = store.trials(study.id);
      }
      loop.replay(all);
      const history = all.filter(isSettled);
      const complete = history.filter((t) => t.state === 'complete').length;
      const failed = history.length - complete;
      const running = all.filter((t) => t.state === 'running');
      if (complete >= o.trials) break;
      if (failed >= maxFailed) {
        stopped = 'failures';
        break;
      }
      if (pastDeadline(o.deadline)) {
        stopped = 'timeout';
        break;
      }

      let trial: TrialRecord | null = null;
      let arch: ReturnType<typeof parseArch> | null = null;
      let stopAfterEpochs: number | null = null;
      let recipe: Record<string, unknown> | null = null;
      const taken = store.takeQueuedTrial(study.id, (q) => {
        arch = parseArch(space, q.arch);
        recipe = o.evaluator.recipeFor(arch, q.searchedRecipe ?? undefined);
        stopAfterEpochs = q.stopAfterEpochs;
        return {
          arch: q.arch,
          searchedRecipe: q.searchedRecipe,
          space: q.space,
          recipe,
          source: q.source,
          costs: o.costs.costs(arch),
          worker: me.id,
        };
      });
      if (taken) {
        trial = taken.trial;
        log(`worker ${me.id}: took trial ${trial.number} from the queue (${taken.queued.reason})`);
      } else {
        // Enough trials are running to reach the target: wait for them (one may fail or be lost).
        if (complete + running.length >= o.trials) {
          await pause(null);
          continue;
        }
        // Asks never run at once (strategy.ts): an ask may write the study's state.
        if (store.claimPhase(study.id, ASK_LOCK, me, staleMs) !== 'mine') {
          // Held for one ask (milliseconds) or a strategy's long step (a refit): look again soon,
          // then less often, so that a busy lock does not cost a whole poll.
          lockBackoff = Math.min(pollMs, Math.max(5, lockBackoff * 2));
          heartbeat();
          await sleep(lockBackoff);
          continue;
        }
        lockBackoff = 0;
        loop.phase = ASK_LOCK;
        let asked: Awaited<ReturnType<typeof askOnce>>;
        try {
          asked = await askOnce();
          loop.pushFiles();
        } finally {
          store.releasePhase(study.id, ASK_LOCK, me);
          loop.phase = null;
        }
        if (asked === 'again') continue;
        if ('wait' in asked) {
          await pause(asked.wait);
          continue;
        }
        if ('done' in asked) {
          stopped = 'done';
          break;
        }
        ({ trial, arch, stopAfterEpochs, recipe } = asked);
      }
      waiting = null;
      const t0 = Date.now();
      const finished = await loop.run(trial, { arch: arch!, stopAfterEpochs }, { recipe, costs: trial.costs, all });
      loop.settle(finished);
      const best = bestTrial([...history, finished], metric, study.objective.direction);
      const settled = [...history, finished].filter(isSettled);
      const done = settled.filter((t) => t.state === 'complete').length;
      loop.report(finished, arch!, best, t0, { complete: done, failed: settled.length - done, target: o.trials });
    }
    const all = store.trials(study.id);
    const settled = all.filter(isSettled);
    const complete = settled.filter((t) => t.state === 'complete').length;
    return {
      study: study.name,
      best: bestTrial(settled, metric, study.objective.direction),
      complete,
      failed: settled.length - complete,
      interrupted,
      stopped,
      lastError: [...settled].reverse().find((t) => t.error)?.error ?? null,
    };
  } finally {
    clearInterval(timer);
    store.leaveStudy(me);
  }
}
