// Closing the gap of an extrapolated answer (spec fbnetv3.md, stage 2 run for one budget): with the
// user's consent (`evaluate` K), K candidates within the budget are evaluated by the study's
// evaluator and the predictor is refit on them and the study's other trials, then stage 3 answers
// the budget again with that refit. The candidates come in rounds of at most ceil(K / 4), each the
// best predicted of the unevaluated pairs within the budget (by the latest refit: stage 2's, then
// the budget's own), as stage 2's later rounds; the pairs are a pool built as stage 1's
// (pool.ts: Sobol points, the whole space when small, or a table's entries) with the budget in
// place of the window. Each candidate trains the early-stopping epochs, as stage 2's.
//
// Crash-safe and resumable: every candidate is a trial of the study (source `answer:<budget>`),
// every round and refit a record in the study's state (`nars.answerRefinements`), every refit a
// weights file (nars/answer-<budget>-<round>.safetensors). A rerun fails the trials left running
// as interrupted, evaluates only the candidates without a settled trial (an interrupted one
// continues from its checkpoint) and refits where a record is missing; with the same K and all
// done it evaluates nothing. A larger K later adds what it lacks.
import * as path from 'node:path';
import { formatArch, parseArch } from '../../space/archFormat';
import type { Constraint } from '../../cost/constraints';
import type { Evaluator } from '../../evaluate/evaluator';
import { FieldError } from '../../io/fieldError';
import { stateKey } from '../../study/stateKey';
import { TrialLoop } from '../../study/runSearch';
import { bestTrial, type StudyStore } from '../../study/store';
import type { Strategy } from '../../study/strategy';
import { newWorkerId } from '../../study/worker';
import { isSettled, trialKey, type StudyRecord } from '../../study/types';
import { predictorScorer } from './stage3';
import { poolFor, refitData, refitFromPretrained, resolveSettings, type NarsEnv } from './stages';
import { NARS_STATE, type NarsCandidate, type NarsRefitRecord } from './state';

export interface AnswerRound {
  round: number;
  candidates: NarsCandidate[];
  /** How many unevaluated pairs within the budget they were picked from. */
  pickedFrom: number;
  refit: NarsRefitRecord | null;
  /** The trials the refit learnt from (their numbers), once it is done. */
  learnt: number[];
}

export interface AnswerRefinement {
  budget: string;
  /** The trials' source tag. */
  source: string;
  /** The most evaluations asked for so far (K). */
  asked: number;
  /** Pairs within the budget (and the study's constraints) the candidates are drawn from. */
  poolSize: number;
  rounds: AnswerRound[];
}

/** Budget (as written) -> its refinement. */
export const ANSWER_REFINEMENTS = stateKey<Record<string, AnswerRefinement>>('nars.answerRefinements');

/** The source tag of a budget's evaluations. */
export const answerSource = (budget: Constraint) => `answer:${budget.text}`;

/** Rounds a refinement of K evaluations takes at most (refits in between). */
export const ANSWER_ROUNDS = 4;

/** `evaluate` checked: a whole number of evaluations, at least 1. */
export function checkEvaluations(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new FieldError(
      'evaluate',
      k,
      `\`evaluate\` is the number of candidates to evaluate within each budget, a whole number of at least 1; got ${typeof k === 'number' ? k : JSON.stringify(k)}`,
    );
  return k;
}

/** Where refits are saved: a file name per budget and round. */
const weightsName = (budget: Constraint, round: number) =>
  `answer-${budget.text.replace(/<=/g, '-le-').replace(/[^A-Za-z0-9.-]+/g, '_')}-${round}.safetensors`;

/** The latest refit of a budget's refinement, or null. */
export function refinedPredictor(
  env: Pick<NarsEnv, 'state'>,
  budget: Constraint,
): { refinement: AnswerRefinement; refit: NarsRefitRecord; learnt: number[]; round: number } | null {
  const r = env.state.get(ANSWER_REFINEMENTS)?.[budget.text];
  const last = r?.rounds.filter((x) => x.refit).at(-1);
  return r && last ? { refinement: r, refit: last.refit!, learnt: last.learnt, round: last.round } : null;
}

export interface RefineInput {
  env: NarsEnv;
  store: StudyStore;
  study: StudyRecord;
  evaluator: Evaluator;
  budget: Constraint;
  /** K: the evaluations within the budget the answer should rest on (in all, over reruns). */
  evaluations: number;
  /** The weights of stage 2's latest refit (scores the first round). */
  stage2Weights: string;
}

/** Evaluates and refits until the budget has K settled evaluations (see the file comment). */
export async function refineAnswer(i: RefineInput): Promise<AnswerRefinement> {
  const { env, store, study, evaluator, budget } = i;
  const k = checkEvaluations(i.evaluations);
  const source = answerSource(budget);
  const all = env.state.get(ANSWER_REFINEMENTS) ?? {};
  const rec: AnswerRefinement = all[budget.text] ?? { budget: budget.text, source, asked: k, poolSize: 0, rounds: [] };
  rec.asked = Math.max(rec.asked, k);
  const save = () => {
    all[budget.text] = rec;
    env.state.set(ANSWER_REFINEMENTS, all);
  };
  // The pairs within the budget: stage 1's pool with the budget for the window.
  const r = resolveSettings(env.space, env.options, env.trials);
  const pool = poolFor({ ...r, window: [] }, { ...env, constraints: [...env.constraints, budget] });
  const keys = pool.archs.map((a) => formatArch(env.space, a));
  rec.poolSize = keys.length;
  const size = Math.ceil(k / ANSWER_ROUNDS);
  const early = env.state.get(NARS_STATE.earlyStop);
  // The search loops' trial cycle (TrialLoop: create, evaluate with heartbeats, finish, push files, report).
  const strategy: Strategy = { name: 'nars', ask: () => Promise.resolve(null), tell: () => {} };
  const loop = new TrialLoop(
    {
      store,
      study,
      strategy,
      evaluator,
      space: env.space,
      constraints: env.constraints,
      costs: env.costs,
      trials: env.trials,
      log: env.log,
    },
    newWorkerId(),
  );
  const stale = store.failStaleTrials(study.id);
  if (stale.length)
    env.log(
      `nars: answer ${budget.text}: ${stale.length} trial(s) of an earlier run were still running: marked interrupted, evaluated again`,
    );
  const before = store.trials(study.id).filter((t) => t.source === source && isSettled(t)).length;
  for (;;) {
    const trials = store.trials(study.id);
    const history = trials.filter(isSettled);
    const settled = new Set(history.map(trialKey));
    const last = rec.rounds.at(-1);
    if (last && !last.refit) {
      const open = last.candidates.find((c) => !settled.has(c.arch));
      if (open) {
        const arch = parseArch(env.space, open.arch);
        const proposal = { arch, source, ...(early?.epoch ? { stopAfterEpochs: early.epoch } : {}) };
        const made = loop.newTrial(proposal);
        const t0 = Date.now();
        const trial = store.createTrial(study.id, made.trial);
        const finished = await loop.run(trial, proposal, { recipe: made.recipe, costs: made.costs, all: trials });
        loop.settle(finished);
        const mine = store.trials(study.id).filter((t) => t.source === source);
        const complete = mine.filter((t) => t.state === 'complete').length;
        loop.report(finished, arch, bestTrial(mine, env.objective.metric, env.objective.direction), t0, {
          complete,
          failed: mine.filter(isSettled).length - complete,
          target: k,
        });
        continue;
      }
      const data = refitData(env, history, early);
      const learnt = history
        .filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[env.objective.metric]))
        .map((t) => t.number);
      last.refit = await refitFromPretrained(
        env,
        data,
        `nars-answer ${budget.text} refit ${last.round}`,
        weightsName(budget, last.round),
      );
      last.learnt = learnt;
      save();
      loop.pushFiles();
      env.log(
        `nars: answer ${budget.text}: refit after its round ${last.round} on ${last.refit.samples} complete trial(s) (${last.refit.cpuSeconds.toFixed(1)} CPU s)`,
      );
      continue;
    }
    const done = history.filter((t) => t.source === source).length;
    if (done >= k) break;
    const open = keys.map((_, j) => j).filter((j) => !settled.has(keys[j]!));
    if (!open.length) {
      env.log(
        `nars: answer ${budget.text}: every one of the ${keys.length} pairs within the budget has been evaluated (${done} of the ${k} evaluations asked)`,
      );
      break;
    }
    const sign = env.objective.direction === 'maximize' ? 1 : -1;
    // The best predicted of the unevaluated pairs, by the latest refit (ties by pool order).
    const P = await import('./predictor');
    const weights = refinedPredictor(env, budget)?.refit.weights ?? i.stage2Weights;
    const { model, meta } = P.loadPredictor(path.join(env.studyDir, weights));
    let scores: Float64Array;
    try {
      scores = predictorScorer(P, env, model, meta)(open.map((j) => pool.archs[j]!));
    } finally {
      model.dispose();
    }
    const picked = open
      .map((j, n) => ({ j, s: scores[n]! }))
      .sort((a, b) => b.s - a.s || a.j - b.j)
      .slice(0, Math.min(size, k - done));
    const round: AnswerRound = {
      round: rec.rounds.length + 1,
      candidates: picked.map(({ j, s }) => ({ arch: keys[j]!, predicted: sign * s })),
      pickedFrom: open.length,
      refit: null,
      learnt: [],
    };
    rec.rounds.push(round);
    save();
    env.log(
      `nars: answer ${budget.text}: round ${round.round}: ${round.candidates.length} candidate(s), the best predicted of ` +
        `${open.length} unevaluated pairs within the budget (evaluations ${done} of ${k})`,
    );
  }
  save();
  const after = store.trials(study.id).filter((t) => t.source === source && isSettled(t)).length;
  env.log(`nars: answer ${budget.text}: ${after} evaluation(s) within the budget (${after - before} in this run)`);
  return rec;
}
