// tsnas study list | show <study> | report <study> | answer <study> | finalize <study>: what the store
// holds, one study in detail, a study's HTML report, new resource budgets answered from a finished
// study by its strategy's answerBudgets hook (strategies that keep a predictor), without a new
// search, and a study's finalize and final training run (or completed) by hand.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { ReportData } from '../../report/types';
import { formatCost } from '../../cost/constraints';
import { buildReportData, describeEvaluator } from '../../search/studyReport';
import { setupSearch } from '../../search/setupSearch';
import { applyResumeOverrides } from '../../search/config';
import { studyConfig } from '../../search/studyConfig';
import { finalTrainingLines } from '../../search/finalTraining';
import { finalizeStudy } from '../../search/finalizeStudy';
import { resolveStoreLocation } from '../../study/storeLocation';
import { parseConstraint, CONSTRAINT_FORMS } from '../../cost/constraints';
import { DEFAULT_STORE, StudyStore, bestTrial, explainStoreError } from '../../study/store';
import { isInterrupted, type StudyRecord, type TrialRecord } from '../../study/types';
import { bestJson } from './search';
import { rangeText } from '../../search/answerRange';
import { answerStudyBudgets } from '../../search/answerStudyBudgets';
import { chanceWarning } from '../chanceWarning';
import { positiveInt } from '../options';
import { cliText } from '../errorText';
import { useDevice, deviceOption, DEVICE_HELP } from '../device';
import { checkOutputPath, writeOutputFile } from '../../io/writeOutputFile';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface AnswerFlags {
  budget: string[];
  store: string;
  train?: boolean;
  evaluate?: number;
  json?: boolean;
}

const fmt = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '-' : Math.abs(v) < 10 ? v.toFixed(4) : v.toPrecision(5);
const date = (ms: number | null) =>
  ms === null
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function openReadonly(file: string): StudyStore {
  return StudyStore.open(file, { readonly: true });
}

/** Trials ranked by the objective, best first. */
function ranked(study: StudyRecord, trials: TrialRecord[]): TrialRecord[] {
  const m = study.objective.metric;
  const sign = study.objective.direction === 'maximize' ? -1 : 1;
  return trials
    .filter((t) => t.state === 'complete' && Number.isFinite(t.metrics[m]))
    .sort((a, b) => sign * (a.metrics[m]! - b.metrics[m]!) || a.number - b.number);
}

function trialJson(t: TrialRecord) {
  return { ...t, metrics: bestJson(t)!.metrics };
}

export function registerStudy(program: Command): void {
  const study = program
    .command('study')
    .description('inspect the studies of a store: list, show, report, answer, finalize');

  study
    .command('list')
    .description('every study of the store: strategy, space, evaluator, trials, best')
    .option('--store <file>', `study store (default ${DEFAULT_STORE})`, DEFAULT_STORE)
    .option('--json', 'print JSON')
    .action((o: { store: string; json?: boolean }) => {
      const store = openReadonly(o.store);
      try {
        const sums = store.studies().map((s) => store.summary(s));
        if (o.json) {
          console.log(
            JSON.stringify(
              sums.map((x) => ({
                name: x.study.name,
                strategy: x.study.strategy,
                space: x.study.space,
                evaluator: x.study.evaluator,
                data: x.study.data,
                objective: x.study.objective,
                constraints: x.study.constraints,
                createdAt: x.study.createdAt,
                counts: x.counts,
                interrupted: x.interrupted,
                best: bestJson(x.best),
              })),
            ),
          );
          return;
        }
        if (!sums.length) {
          console.log(
            `no studies in ${o.store} yet (start one: npx tsnas search <strategy> --space S --data D | --evaluator E)`,
          );
          return;
        }
        const rows = [['study', 'strategy', 'space', 'evaluator', 'complete', 'failed', 'running', 'best', 'created']];
        for (const x of sums) {
          const m = x.study.objective.metric;
          rows.push([
            x.study.name,
            x.study.strategy,
            path.basename(x.study.space),
            describeEvaluator(x.study),
            String(x.counts.complete),
            String(x.counts.failed + x.counts.pruned),
            String(x.counts.running),
            x.best ? `${m} ${fmt(x.best.metrics[m])}` : '-',
            date(x.study.createdAt),
          ]);
        }
        console.log(table(rows));
      } catch (err) {
        throw explainStoreError(o.store, err);
      } finally {
        store.close();
      }
    });

  study
    .command('show')
    .description('one study: its configuration, trial counts, the best trials, failures')
    .argument('<study>', 'study name (tsnas study list)')
    .option('--store <file>', `study store (default ${DEFAULT_STORE})`, DEFAULT_STORE)
    .option('--top <n>', 'how many of the best trials to list', positiveInt('--top'), 10)
    .option('--json', 'print JSON (the study and every trial)')
    .action((name: string, o: { store: string; top: number; json?: boolean }) => {
      const store = openReadonly(o.store);
      try {
        const s = store.requireStudy(name);
        const trials = store.trials(s.id);
        const sum = store.summary(s);
        const worker = store.activeWorker(s.id);
        if (o.json) {
          console.log(
            JSON.stringify({
              study: s,
              counts: sum.counts,
              interrupted: sum.interrupted,
              active: worker,
              best: bestJson(sum.best),
              trials: trials.map(trialJson),
            }),
          );
          return;
        }
        const m = s.objective.metric;
        const lines = [
          `study ${s.name}  (${o.store}, directory ${store.studyDir(s.name, false)})`,
          `  strategy   ${s.strategy} ${JSON.stringify((s.config as { options?: unknown }).options ?? {})}`,
          `  space      ${s.space}`,
          `  evaluator  ${describeEvaluator(s)}`,
          `  objective  ${s.objective.direction} ${m}`,
          `  constraints ${s.constraints.length ? s.constraints.join(' ') : 'none'}`,
          `  seed       ${s.seed}; created ${date(s.createdAt)}; target ${(s.config as { trials?: number }).trials ?? '?'} complete trials`,
          `  trials     ${sum.counts.complete} complete, ${sum.counts.failed} failed (${sum.interrupted} interrupted), ${sum.counts.pruned} pruned, ${sum.counts.running} running` +
            (sum.counts.running
              ? worker
                ? ` (process ${worker.pid} on ${worker.host})`
                : ' (no live process: resume to continue)'
              : ''),
        ];
        const chance = chanceWarning(s, trials);
        if (chance) lines.push(cliText(chance, program));
        console.log(lines.join('\n'));
        const top = ranked(s, trials).slice(0, o.top);
        if (top.length) {
          console.log(`\nbest ${top.length} by ${m}:`);
          const rows = [['#', m, 'flops', 'params', 'latency', 'source', 'arch']];
          for (const t of top) {
            rows.push([
              String(t.number),
              fmt(t.metrics[m]),
              formatCost('flops', t.costs.flops),
              formatCost('params', t.costs.params),
              t.costs.latencyUs === null ? '-' : formatCost('latency', t.costs.latencyUs),
              t.source ?? '-',
              t.arch,
            ]);
          }
          console.log(table(rows));
        }
        const failed = trials.filter((t) => t.state === 'failed' && !isInterrupted(t));
        if (failed.length) {
          console.log(`\nfailed (${failed.length}):`);
          for (const t of failed.slice(-10)) console.log(`  #${t.number} ${t.arch}: ${t.error}`);
        }
        const best = bestTrial(trials, m, s.objective.direction);
        if (best) console.log(`\nbest: trial ${best.number}, ${m} ${fmt(best.metrics[m])}: ${best.arch}`);
      } catch (err) {
        throw explainStoreError(o.store, err);
      } finally {
        store.close();
      }
    });

  study
    .command('report')
    .description(
      "write a study's HTML report (charts of accuracy against cost with the Pareto front, best so far, top candidates)",
    )
    .argument('<study>', 'study name (tsnas study list)')
    .option('--store <file>', `study store (default ${DEFAULT_STORE})`, DEFAULT_STORE)
    .option('-o, --out <file>', 'the HTML file (default runs/<study>-report.html; missing directories are made)')
    .option('--baseline <study>', 'another study of the store to compare with (e.g. a random-search run)')
    .action(async (name: string, o: { store: string; out?: string; baseline?: string }) => {
      const out = o.out ?? path.join('runs', `${name}-report.html`);
      checkOutputPath(out, 'report');
      const store = openReadonly(o.store);
      let data: ReportData;
      try {
        const s = store.requireStudy(name);
        data = buildReportData(store, s, o.baseline ? { baseline: store.requireStudy(o.baseline) } : {});
      } catch (err) {
        throw explainStoreError(o.store, err);
      } finally {
        store.close();
      }
      // The renderer is loaded only here: it brings vega.
      const modulePath = path.join(__dirname, '..', '..', 'report', 'index.js');
      if (!fs.existsSync(modulePath))
        throw new Error(`this tsnas has no report renderer (${modulePath} is missing); rebuild it: npm run build`);
      const { renderStudyReport } = require(modulePath) as { renderStudyReport: (d: ReportData) => Promise<string> };
      for (const w of data.warnings ?? []) process.stderr.write(`warning: ${cliText(w, program)}\n`);
      const html = await renderStudyReport(data);
      writeOutputFile(out, html, 'report');
      console.log(out);
    });

  study
    .command('answer')
    .description(
      "answer resource budgets from a finished study without a new search (strategies that keep a predictor, e.g. FBNetV3's: each budget takes CPU seconds)",
    )
    .argument('<study>', 'study name (tsnas study list)')
    .requiredOption(
      '--budget <c>',
      `a resource budget, repeatable: ${CONSTRAINT_FORMS.join(', ')}; X takes K/M/G (e.g. 'flops<=5M', quoted: bash reads < and > as redirections)`,
      collect,
    )
    .option('--store <file>', `study store (default ${DEFAULT_STORE})`, DEFAULT_STORE)
    .option(
      '--train',
      "also evaluate each answer with the study's evaluator (training: the recipe's full epochs, resumable; tables and synthetic: a look-up)",
    )
    .option(
      '--evaluate <k>',
      "before answering, evaluate K candidates within each budget with the study's evaluator (trials of the study, " +
        'resumable: a rerun evaluates only what is missing) and refit the predictor on them: the cure for an answer that extrapolates',
      Number,
    )
    .option(
      '--json',
      'print JSON on the last line: {"study", "answers": [{"budget", "arch", "predicted", "metrics", "costs", "cpuSeconds", "range": {"extrapolated", "side", "distance", "lowest", ...}, "evaluations", ...}]}',
    )
    .action(async (name: string, o: AnswerFlags) => {
      const log = (line: string) => process.stderr.write(`${cliText(line, program)}\n`);
      const budgets = o.budget.map(parseConstraint);
      // Answering writes (a lease, cached answers) but never makes a store: a missing one is named.
      let store: StudyStore;
      try {
        store = StudyStore.open(o.store, { mustExist: true });
      } catch (err) {
        throw explainStoreError(o.store, err);
      }
      try {
        const s = store.requireStudy(name);
        const answers = await answerStudyBudgets({
          store,
          study: s,
          budgets,
          train: !!o.train,
          ...(o.evaluate !== undefined ? { evaluate: o.evaluate } : {}),
          log,
        });
        const m = s.objective.metric;
        if (o.json) {
          console.log(JSON.stringify({ study: name, metric: m, answers }));
          return;
        }
        const rows = [['budget', `predicted ${m}`, `measured ${m}`, 'flops', 'params', 'latency', 'CPU s', 'arch']];
        for (const a of answers)
          rows.push([
            a.budget,
            fmt(a.predicted ?? undefined),
            fmt(a.metrics?.[m]),
            formatCost('flops', a.costs.flops),
            formatCost('params', a.costs.params),
            a.costs.latencyUs === null ? '-' : formatCost('latency', a.costs.latencyUs),
            `${a.cpuSeconds.toFixed(2)}${a.cached ? ' (earlier)' : ''}`,
            a.arch,
          ]);
        console.log(table(rows));
        for (const a of answers) {
          console.log(`  ${a.budget}: ${a.detail}`);
          if (a.range) console.log(`  ${a.budget}: ${cliText(rangeText(a.range), program)}`);
        }
      } finally {
        store.close();
      }
    });

  study
    .command('finalize')
    .description(
      "run a study's finalize and final training (its final network; --final-epochs), or complete them after the worker that ran them was killed; the last worker of a study runs them itself",
    )
    .argument('<study>', 'study name (tsnas study list)')
    .option('--store <file|url>', `study store (default ${DEFAULT_STORE})`)
    .option('--threads <n>', "intra-op threads (default: the study's)", positiveInt('--threads'))
    .option(
      '--final-seeds <k>',
      "train the result and every reference K times (raise the study's final runs; the runs made are kept)",
      positiveInt('--final-seeds'),
    )
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('--json', 'print JSON on the last line: {"study", "outcome", "final", "finalTraining"}')
    .action(
      async (
        name: string,
        o: { store?: string; threads?: number; finalSeeds?: number; device?: string; json?: boolean },
      ) => {
        const log = (line: string) => process.stderr.write(`${line}\n`);
        await useDevice(o.device);
        const location = o.store === undefined ? DEFAULT_STORE : resolveStoreLocation(o.store, process.cwd());
        let store: StudyStore;
        try {
          store = StudyStore.open(location, { mustExist: true });
        } catch (err) {
          throw explainStoreError(location, err);
        }
        try {
          let s = store.requireStudy(name);
          const stored = studyConfig(s);
          const config = applyResumeOverrides(
            stored,
            {
              ...(o.threads ? { train: { threads: o.threads } } : {}),
              ...(o.finalSeeds ? { final: { seeds: o.finalSeeds } } : {}),
            },
            name,
          );
          const setup = setupSearch(config);
          // More final runs are the study's from now on (as search --resume --final-seeds K stores them).
          if (config.final?.seeds !== stored.final?.seeds) {
            store.updateStudyConfig(s.id, config as unknown as Record<string, unknown>);
            s = store.requireStudy(name);
          }
          const r = await finalizeStudy({ store, study: s, setup, log, mode: 'shared', wait: false });
          if (r.outcome === 'running')
            throw new Error(
              `study '${name}' still has trials running in live workers: the last of them finalizes it (or run this again once they end)`,
            );
          if (r.outcome === 'busy')
            throw new Error(
              `another worker is finalizing study '${name}' now; run this again if it is stopped before it finishes`,
            );
          if (r.outcome === 'nothing')
            log(
              `study '${name}': nothing to finalize (no complete trial, or no final network or final training to make)`,
            );
          if (r.outcome === 'done') log(`study '${name}': already finalized`);
          if (r.finalTraining) for (const line of finalTrainingLines(r.finalTraining)) log(line);
          if (o.json)
            console.log(
              JSON.stringify({ study: name, outcome: r.outcome, final: r.final, finalTraining: r.finalTraining }),
            );
        } catch (err) {
          throw explainStoreError(store.file, err);
        } finally {
          store.close();
        }
      },
    );
}
