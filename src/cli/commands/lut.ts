// tsnas lut build | validate: latency lookup tables measured on this machine's engine.
import { Option, type Command } from 'commander';
import {
  buildLatencyTable,
  checkTableFor,
  DEFAULT_CALIBRATE,
  DEFAULT_REPEATS,
  DEFAULT_ROUNDS,
  DEFAULT_VALIDATE_N,
  DEFAULT_WARMUP,
  DEFAULT_TARGET,
  checkTargetName,
  isEngineTarget,
  makeLatencyTarget,
  makeTargetOfTable,
  noiseWarnings,
  DEFAULT_OP_TIMING,
  MINUS_CALL,
  ONE_CALL,
  opTimingOf,
  opTimingText,
  TARGET_HELP,
  TARGET_NAMES,
  keysFromSample,
  readLatencyTable,
  validateLatencyTable,
  writeLatencyTable,
} from '../../latency';
import { loadSpace } from '../../space';
import { correlationText } from '../../stats/correlation';
import { nonNegativeInt, positiveInt, seedOption } from '../options';
import { checkOutputPath } from '../../io/writeOutputFile';
import { Progress } from '../progress';
import { parseInputArg, textTable } from './space';
import { DEVICE_HELP, deviceOption, useDevice } from '../device';

export function registerLut(program: Command): void {
  const lut = program
    .command('lut')
    .description(
      'latency lookup tables: time every op of a space in a runtime (the engine, onnxruntime-node, a browser), check the sums against whole networks',
    );

  lut
    .command('build <space>')
    .description(
      'time every distinct (input shape, op config) of a space once (batch 1, eval, channels_last, median of repeated runs) and fit the per-network overhead',
    )
    .option('-o, --out <file>', 'table file to write (JSON; missing directories are made)')
    .addOption(new Option('--output <file>', 'the same as -o/--out (its older name)').hideHelp())
    .option('--input <CxHxW>', "input shape (default: the space's)", parseInputArg)
    .option('--target <name>', `where to time: ${TARGET_HELP}`, DEFAULT_TARGET)
    .option('--threads <n>', 'intra-op threads, fixed while timing and recorded', positiveInt('--threads'), 1)
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('--repeats <n>', 'timed runs per op or network (median)', positiveInt('--repeats'), DEFAULT_REPEATS)
    .option('--warmup <n>', 'untimed runs before timing, per round', nonNegativeInt('--warmup'), DEFAULT_WARMUP)
    .option('--rounds <n>', 'interleaved rounds the repeats are split into', positiveInt('--rounds'), DEFAULT_ROUNDS)
    .option(
      '--calibrate <n>',
      'whole networks timed to fit overheadUs (0: none)',
      nonNegativeInt('--calibrate'),
      DEFAULT_CALIBRATE,
    )
    .option(
      '--sample <n>',
      'architectures sampled for keys, in spaces with ranges (FBNetV3)',
      positiveInt('--sample'),
      256,
    )
    .option('--seed <s>', 'seed of that sample', seedOption('--seed'), 0)
    .addOption(
      new Option(
        '--op-timing <how>',
        `ONNX targets: ${MINUS_CALL} (each op's time less a no-compute model's, run by run) or ${ONE_CALL} (each op one call, as tables were before)`,
      )
        .choices([MINUS_CALL, ONE_CALL])
        .default(MINUS_CALL),
    )
    .option(
      '--op-copies <k>',
      'ONNX targets: copies of each op in the model one run times (the result divided by k)',
      positiveInt('--op-copies'),
      DEFAULT_OP_TIMING.copies,
    )
    .option('--no-hostname', 'leave the host name out of the table')
    .action(async (name: string, o, command: Command) => {
      // Options of some targets only: given with another, they would do nothing.
      checkTargetName(o.target);
      const given = (key: string) => command.getOptionValueSource(key) === 'cli';
      const onnxTargets = TARGET_NAMES.filter((t) => !isEngineTarget(t));
      for (const [key, flag] of [
        ['opTiming', '--op-timing'],
        ['opCopies', '--op-copies'],
      ] as const)
        if (given(key) && isEngineTarget(o.target))
          throw new Error(
            `${flag} applies to the ONNX targets (${onnxTargets.join(', ')}), not ${o.target}: the engine times each op ` +
              `as one forward of its module; leave ${flag} out, or choose one of those with --target`,
          );
      if (given('sample') && !keysFromSample(loadSpace(name)))
        throw new Error(
          `--sample applies to spaces whose table keys come from a sample of architectures (spaces with ranges, such as fbnetv3-s), ` +
            `not to ${name}: every key of its table is enumerated; leave --sample out`,
        );
      await useDevice(o.device);
      // --device cuda times the engine on the GPU: engine-cpu (the default target) becomes engine-cuda.
      const onGpu = o.device !== undefined && o.device !== 'cpu';
      if (onGpu && o.target === 'engine-cpu') o.target = 'engine-cuda';
      if (onGpu && o.target !== 'engine-cuda')
        throw new Error(
          `lut build --device ${o.device}: only the engine times on a GPU (--target engine-cuda); ${o.target} times in its own runtime, without --device`,
        );
      if (o.out !== undefined && o.output !== undefined && o.out !== o.output)
        throw new Error(`-o/--out ${o.out} and --output ${o.output} both name the table file: give one`);
      const out: string | undefined = o.out ?? o.output;
      if (out === undefined)
        throw new Error(`name the table file to write: -o FILE (e.g. npx tsnas lut build ${name} -o ${name}.lut.json)`);
      const space = loadSpace(name);
      checkTargetName(o.target);
      checkOutputPath(out, 'latency table');
      // The runtime (engine, onnxruntime, browser) loads only where timing happens.
      const opTiming = { copies: o.opCopies as number, subtractCall: o.opTiming === MINUS_CALL };
      const target = await makeLatencyTarget(o.target, {
        threads: o.threads,
        hostname: o.hostname,
        opTiming,
        ...(onGpu ? { device: o.device as string } : {}),
      });
      let bar: Progress | undefined;
      const t0 = Date.now();
      const table = await buildLatencyTable(space, {
        target,
        input: o.input,
        warmup: o.warmup,
        repeats: o.repeats,
        rounds: o.rounds,
        calibrate: o.calibrate,
        sample: o.sample,
        seed: o.seed,
        onProgress: (p) =>
          (bar ??= new Progress(`timing ops and ${o.calibrate} whole networks in ${o.rounds} rounds:`, p.total)).tick(
            p.done,
            p.detail,
          ),
      }).finally(() => target.close?.());
      writeLatencyTable(out, table);
      const n = Object.keys(table.entries).length;
      const t = table.target;
      console.log(
        `wrote ${out}: ${n} ops of space ${space.name} at ${table.input ? table.input.join('x') : 'searched resolutions'} ` +
          `in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      console.log(
        `target ${t.name}: ${t.runtime} ${t.version}, ${t.threads} thread(s), ${t.machine.cpu} (${t.machine.cores} cores)`,
      );
      if (!isEngineTarget(t.name)) console.log(`ops timed: ${opTimingText(opTimingOf(t.settings))}`);
      console.log(`coverage: ${table.coverage.description}`);
      if (table.noise.discardedRuns)
        console.log(
          `${table.noise.discardedRuns} of ${table.noise.timedRuns + table.noise.discardedRuns} runs were interrupted by other processes and re-run`,
        );
      const f = table.overhead;
      if (f.archs) {
        console.log(
          `overheadUs ${table.overheadUs.toFixed(1)} us per network (${f.archs} networks: mean sum ${f.meanSumUs.toFixed(0)} us, mean measured ${f.meanMeasuredUs.toFixed(0)} us, ` +
            `residual sd ${f.residualSdUs.toFixed(0)} us; free fit slope ${f.freeFit.slope.toFixed(3)}, intercept ${f.freeFit.intercept.toFixed(0)} us)`,
        );
      }
      for (const w of noiseWarnings(table)) process.stderr.write(`warning: ${w}\n`);
      console.log(`check it: npx tsnas lut validate ${name} --lut ${out}`);
    });

  lut
    .command('validate <space>')
    .description(
      'time random whole networks and compare with the table: Spearman rank correlation and mean absolute percentage error',
    )
    .requiredOption('--lut <file>', 'the latency table')
    .option('-n, --n <n>', 'random architectures', positiveInt('-n'), DEFAULT_VALIDATE_N)
    .option('--seed <s>', 'seed of the architectures', seedOption('--seed'), 0)
    .option('--input <CxHxW>', "input shape (must be the table's)", parseInputArg)
    .option('--threads <n>', "intra-op threads (must be the table's; default: the table's)", positiveInt('--threads'))
    .option('--repeats <n>', "timed runs per network (default: the table's)", positiveInt('--repeats'))
    .option('--rounds <n>', "interleaved rounds (default: the table's)", positiveInt('--rounds'))
    .option('--json', 'JSON lines: one per architecture, details, and last {"spearman", "mape", "n"}')
    .action(async (name: string, o) => {
      const space = loadSpace(name);
      const table = readLatencyTable(o.lut);
      checkTableFor(table, space, { input: o.input, threads: o.threads, file: o.lut });
      if (o.n < 2) throw new Error('-n must be at least 2 (a rank correlation needs two networks)');
      // The table's own runtime: whole networks exported and timed where the ops were.
      const target = await makeTargetOfTable(table.target, { threads: o.threads ?? table.target.threads });
      let progress: Progress | undefined;
      const r = await validateLatencyTable(space, table, {
        target,
        n: o.n,
        seed: o.seed,
        repeats: o.repeats,
        rounds: o.rounds,
        onProgress: (done, total, detail) => {
          (progress ??= new Progress('timing whole networks', total, !!o.json)).tick(done, detail);
        },
      }).finally(() => target.close?.());
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
      if (o.json) {
        for (const row of r.rows) {
          console.log(
            JSON.stringify({
              arch: row.arch,
              measuredUs: round(row.measuredUs, 1),
              predictedUs: round(row.predictedUs, 1),
              ...(row.contended ? { contended: true } : {}),
            }),
          );
        }
        console.log(
          JSON.stringify({
            space: r.space,
            lut: o.lut,
            seed: r.seed,
            threads: table.target.threads,
            ...(isEngineTarget(table.target.name) ? {} : { opTiming: opTimingOf(table.target.settings) }),
            overheadUs: r.overheadUs,
            mapeSumOnly: round(r.mapeSumOnly, 3),
            meanErrorPct: round(r.meanErrorPct, 3),
            timedRuns: r.timedRuns,
            discardedRuns: r.discardedRuns,
            contended: r.contended,
            ...(r.level
              ? {
                  levelRatio: round(r.level.ratio, 4),
                  mapeAtBuildLevel: round(r.level.mapeAtBuildLevel, 3),
                }
              : {}),
            warnings: r.warnings,
          }),
        );
        console.log(JSON.stringify({ spearman: round(r.spearman, 4), mape: round(r.mape, 3), n: r.n }));
        return;
      }
      console.log(
        textTable([
          ['measured', 'predicted', 'error', 'architecture'],
          ...r.rows.map((x) => [
            `${x.measuredUs.toFixed(0)} us${x.contended ? '*' : ''}`,
            `${x.predictedUs.toFixed(0)} us`,
            `${((100 * (x.predictedUs - x.measuredUs)) / x.measuredUs).toFixed(1)}%`,
            x.arch,
          ]),
        ]),
      );
      console.log(
        `\n${r.n} networks of ${r.space} (seed ${r.seed}), ${table.target.threads} thread(s), model: sum of entries + overheadUs ${r.overheadUs.toFixed(0)} us`,
      );
      if (!isEngineTarget(table.target.name))
        console.log(`table's ops timed on ${table.target.name}: ${opTimingText(opTimingOf(table.target.settings))}`);
      console.log(
        `Spearman ${correlationText(r.spearman, r.n)}, MAPE ${r.mape.toFixed(2)}% (per-op sum alone, without overheadUs: ${r.mapeSumOnly.toFixed(2)}%)`,
      );
      if (r.level)
        console.log(
          `level check: the table's ${r.level.networks} calibration networks run ${r.level.ratio.toFixed(2)}x ` +
            `as long as at the build (MAPE at the build's speed ${r.level.mapeAtBuildLevel.toFixed(2)}%)`,
        );
      if (r.discardedRuns)
        console.log(
          `${r.discardedRuns} of ${r.timedRuns + r.discardedRuns} runs were interrupted by other processes and re-run`,
        );
      if (r.contended)
        console.log(
          `* ${r.contended} network(s) got too few uninterrupted runs: their times include other processes' load`,
        );
    });
}
