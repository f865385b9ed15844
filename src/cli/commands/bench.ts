import type { Command } from 'commander';
import { checkOutputDir } from '../../io/outputPath';
import { nonNegativeInt, oneOf, positiveInt, seedOption } from '../options';
import { Progress } from '../progress';
import { DEVICE_HELP, deviceOption, useDevice } from '../device';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks of tsnas itself');
  bench
    .command('engine')
    .description('train the reference network ref-mbconv on random data: images/s and resident memory')
    .option('--steps <n>', 'timed training steps', positiveInt('--steps'), 50)
    .option('--warmup <n>', 'untimed steps first', nonNegativeInt('--warmup'), 5)
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 64)
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 2)
    .option(
      '--memory-format <f>',
      'contiguous or channels_last',
      oneOf('--memory-format', ['contiguous', 'channels_last'] as const),
      'channels_last',
    )
    .option('--seed <n>', 'random seed', seedOption('--seed'), 0)
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('--json', 'print the result as JSON on the last line')
    .action(async (o) => {
      await useDevice(o.device);
      const { runEngineBench } = await loadBench(() => import('../../../bench/engineBench'));
      const progress = new Progress('bench engine', o.warmup + o.steps, !!o.json);
      const r = runEngineBench({
        ...o,
        memoryFormat: o.memoryFormat,
        onStep: (s: number, ms: number) => progress.tick(s + 1, `${ms.toFixed(0)} ms/step`),
      });
      if (o.json) {
        console.log(JSON.stringify(r));
      } else {
        console.log(`ref-mbconv, batch ${o.batch}, ${o.threads} threads, ${o.memoryFormat}:`);
        console.log(
          `  ${r.imgPerSec.toFixed(1)} images/s (median ${r.msPerStep.toFixed(1)} ms/step over ${o.steps} steps)`,
        );
        console.log(
          `  resident memory ${r.rssMBAfterWarmup} MB after warm-up, ${r.rssMBEnd} MB at the end; ${r.liveTensors} tensors left live`,
        );
      }
    });

  bench
    .command('trainer')
    .description('one epoch of ref-mbconv on Fashion-MNIST through the trainer (augmentation on): images/s')
    .option('--data <set>', 'data set', 'fashion-mnist')
    .option('--limit <n>', 'training images', positiveInt('--limit'), 12800)
    .option('--batch <n>', 'batch size', positiveInt('--batch'), 128)
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 2)
    .option('--json', 'print the result as JSON on the last line')
    .action(async (o) => {
      const { runTrainerBench } = await loadBench(() => import('../../../bench/trainerBench'));
      const r = runTrainerBench(o);
      if (o.json) console.log(JSON.stringify(r));
      else
        console.log(
          `trainer on ${o.data}: ${r.imgPerSec.toFixed(1)} images/s (${r.images} images in ${r.seconds.toFixed(1)} s)`,
        );
    });

  bench
    .command('baseline')
    .description(
      'fbnet-s-baseline on a data set: test accuracy after 1, 5 and 15 epochs of one 15-epoch run, time per epoch',
    )
    .option('--data <set>', 'data set', 'fashion-mnist')
    .option('--recipe <file>', 'training recipe (epochs is set to the last milestone)', 'recipes/fashion-mnist.yaml')
    .option('--milestones <list>', 'comma-separated epochs', '1,5,15')
    .option('-o, --out <dir>', 'run directory (resumable)', 'runs/bench-baseline')
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 2)
    .option('--json', 'print the milestones as JSON on the last line')
    .action(async (o) => {
      checkOutputDir(o.out, 'run directory', 'give another run directory (-o DIR)');
      const { runBaselineAccuracy } = await loadBench(() => import('../../../bench/baselineAccuracy'));
      const milestones = String(o.milestones).split(',').map(Number);
      if (milestones.some((m) => !Number.isInteger(m) || m < 1))
        throw new Error(`--milestones must be positive integers, got '${o.milestones}'`);
      const r = runBaselineAccuracy({
        data: o.data,
        recipe: o.recipe,
        milestones,
        dir: o.out,
        threads: o.threads,
        onLine: (s) => process.stderr.write(`${s}\n`),
      });
      if (o.json) console.log(JSON.stringify(r));
      else
        for (const m of r)
          console.log(
            `after ${m.epoch} epochs: test ${(100 * m.testAcc).toFixed(2)}%, ${m.secondsPerEpoch.toFixed(1)} s/epoch`,
          );
    });
}

/**
 * A benchmark module from bench/: a source checkout has them, the npm package does not (it ships what
 * a user runs), so an installed tsnas says where they are instead of a module-not-found trace.
 */
async function loadBench<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(
      "the benchmarks live in tsnas's source repository (bench/), not in the installed package: " +
        'run them from a clone after bash scripts/setup.sh',
      { cause: err },
    );
  }
}
