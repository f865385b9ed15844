// tsnas worker STUDY --store URL: one more worker on a study, on this machine or any other that
// reaches the store: it takes trials of the study until the study is done (runWorker), with the
// study's own configuration (only the threads and the device are this machine's). The last worker
// to end runs the study's finalize and final training, once (finalizeStudy).
import * as fs from 'node:fs';
import { Option, type Command } from 'commander';
import { finalTrainingLines } from '../../search/finalTraining';
import { runStudyWorker } from '../../search/runStudyWorker';
import { isPostgresUrl, resolveStoreLocation } from '../../study/storeLocation';
import { DEFAULT_STALE_AFTER_MS } from '../../study/runWorker';
import { DEFAULT_STORE, explainStoreError, StudyStore } from '../../study/store';
import { DEVICE_HELP, deviceOption, useDevice } from '../device';
import { positiveInt, positiveNumber } from '../options';
import { followParent } from '../followParent';
import { cliText } from '../errorText';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'take trials of a study until it is done, beside any other workers of it (on this machine or others sharing a PostgreSQL store)',
    )
    .argument('<study>', 'the study (made by npx tsnas search ... --study NAME)')
    .option(
      '--store <file|url>',
      `the study's store (an SQLite file, default ${DEFAULT_STORE}, or postgres://USER@HOST:PORT/DB)`,
    )
    .option('--threads <n>', "intra-op threads of this worker (default: the study's)", positiveInt('--threads'))
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option(
      '--stale-after <s>',
      `seconds without a heartbeat after which another worker's running trial counts as lost (default ${DEFAULT_STALE_AFTER_MS / 1000})`,
      positiveInt('--stale-after'),
    )
    .option(
      '--timeout <s>',
      'take no trial after this many seconds (the running one finishes)',
      positiveNumber('--timeout'),
    )
    .option('--json', 'print the result as JSON on the last line')
    .addOption(
      new Option('--deadline <ms>', 'take no trial after this time (ms since 1970: the deadline of search --timeout)')
        .argParser(positiveInt('--deadline'))
        .hideHelp(),
    )
    .addOption(
      new Option(
        '--parent-pid <pid>',
        'stop when this process (the tsnas search --workers N that started this worker) is gone',
      )
        .argParser(positiveInt('--parent-pid'))
        .hideHelp(),
    )
    .action(
      async (
        studyName: string,
        o: {
          store?: string;
          threads?: number;
          device?: string;
          staleAfter?: number;
          json?: boolean;
          timeout?: number;
          deadline?: number;
          parentPid?: number;
        },
      ) => {
        const started = Date.now();
        const log = (s: string) => process.stderr.write(`${cliText(s, program)}\n`);
        // A local worker of `search --workers N` stops with the command that started it: at once,
        // mid-trial too; the next run on the study (search --resume) asks that trial again.
        const parent =
          o.parentPid === undefined
            ? null
            : followParent(o.parentPid, () => {
                log(
                  `worker: the command that started it (pid ${o.parentPid}) has ended: stopping; its running trial is asked again by the next run (npx tsnas search --resume ${studyName})`,
                );
                process.exit(1);
              });
        await useDevice(o.device);
        const location = o.store === undefined ? DEFAULT_STORE : resolveStoreLocation(o.store, process.cwd());
        if (!isPostgresUrl(location) && !fs.existsSync(location))
          throw new Error(`no study store at ${location} (give the store the study is in: --store FILE or URL)`);
        const store = StudyStore.open(location, { mustExist: true });
        try {
          const study = store.requireStudy(studyName);
          const { summary, finalized } = await runStudyWorker({
            store,
            study,
            log,
            ...(o.threads ? { threads: o.threads } : {}),
            ...(o.staleAfter ? { staleAfterMs: o.staleAfter * 1000 } : {}),
            ...(o.deadline !== undefined || o.timeout !== undefined
              ? {
                  deadline: Math.min(
                    o.deadline ?? Infinity,
                    o.timeout !== undefined ? started + o.timeout * 1000 : Infinity,
                  ),
                }
              : {}),
            ...(parent ? { onHeartbeat: parent.check } : {}),
          });
          log(
            `study '${study.name}': ${summary.complete} complete, ${summary.failed} failed trial(s) (stopped: ${summary.stopped})`,
          );
          // The final networks' lines end the output of whoever reads it: this worker's own, or, for a
          // local worker of `search --workers N`, that command's (it prints them as its last lines).
          const localWorker = o.parentPid !== undefined;
          if (finalized.outcome === 'ran' && finalized.finalTraining && !localWorker)
            for (const line of finalTrainingLines(finalized.finalTraining)) log(line);
          else if (finalized.outcome === 'busy' || finalized.outcome === 'running')
            log(
              `study '${study.name}': ${finalized.outcome === 'busy' ? 'another worker is finalizing it' : "other workers' trials still run: the last of them finalizes it"}`,
            );
          if (o.json)
            console.log(
              JSON.stringify({
                study: study.name,
                complete: summary.complete,
                failed: summary.failed,
                stopped: summary.stopped,
              }),
            );
          if (summary.stopped === 'failures') process.exitCode = 1;
        } catch (err) {
          throw explainStoreError(store.file, err);
        } finally {
          store.close();
        }
      },
    );
}
