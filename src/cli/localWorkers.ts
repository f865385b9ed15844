// tsnas search --workers N: the study runs in N worker processes of this machine (tsnas worker,
// the threads split between them), each taking trials through the store; this process waits for
// them and reads the result back from the store. Their progress lines come through prefixed. They
// follow this process: killed (even with kill -9), it takes them with it, and their running trials
// are asked again by the next run on the study.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { packageRoot } from '../packageRoot';
import { bestTrial, type StudyStore } from '../study/store';
import type { SearchSummary } from '../study/runSearch';
import { isSettled, type StudyRecord } from '../study/types';

export interface LocalWorkersOptions {
  /** The store as the workers open it (a path or a URL). */
  store: string;
  workers: number;
  /** Intra-op threads in all; each worker gets its share (at least 1). */
  threads: number;
  device?: string | undefined;
  /** The study's target of complete trials. */
  trials: number;
  maxFailed: number;
  /** No trial starts after this time (Date.now() milliseconds), in any worker. */
  deadline?: number;
  log: (line: string) => void;
}

export async function runLocalWorkers(
  store: StudyStore,
  study: StudyRecord,
  o: LocalWorkersOptions,
): Promise<SearchSummary> {
  const threads = Math.max(1, Math.floor(o.threads / o.workers));
  o.log(`${o.workers} worker process(es), ${threads} thread(s) each`);
  const bin = path.join(packageRoot(), 'bin', 'tsnas.js');
  const exits = await Promise.all(
    Array.from({ length: o.workers }, (_, i) => {
      // --parent-pid: each worker stops when this process is gone (followParent.ts).
      const args = [
        bin,
        'worker',
        study.name,
        '--store',
        o.store,
        '--threads',
        String(threads),
        '--parent-pid',
        String(process.pid),
      ];
      if (o.device) args.push('--device', o.device);
      if (o.deadline !== undefined) args.push('--deadline', String(o.deadline));
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      readline.createInterface({ input: child.stderr! }).on('line', (line) => o.log(`[worker ${i + 1}] ${line}`));
      return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
    }),
  );
  const all = store.trials(study.id);
  const settled = all.filter(isSettled);
  const complete = settled.filter((t) => t.state === 'complete').length;
  const failed = settled.length - complete;
  const broken = exits.filter((e) => e.code !== 0);
  if (broken.length === o.workers && complete < o.trials)
    throw new Error(
      `every worker of study '${study.name}' ended with an error (exit ${broken.map((e) => e.code ?? e.signal).join(', ')}); their last lines are above`,
    );
  return {
    study: study.name,
    best: bestTrial(settled, study.objective.metric, study.objective.direction),
    complete,
    failed,
    interrupted: all.length - settled.length - all.filter((t) => t.state === 'running').length,
    stopped:
      failed >= o.maxFailed
        ? 'failures'
        : complete >= o.trials
          ? 'target'
          : o.deadline !== undefined && Date.now() >= o.deadline
            ? 'timeout'
            : 'done',
    lastError: [...settled].reverse().find((t) => t.error)?.error ?? null,
  };
}
