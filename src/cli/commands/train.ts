import * as path from 'node:path';
import type { Command } from 'commander';
import { DATA_SET_FORMS, loadDataSource } from '../../data/dataSource';
import { loadSpace, resolveArchitecture } from '../../space/registry';
import { recipeOverridesFromArch } from '../../train/archRecipe';
import { loadRecipe, OPTIMIZERS } from '../../train/recipe';
import { allIndices, stratifiedSplit } from '../../data/split';
import { oneOf, positiveInt, positiveNumber, seedOption } from '../options';
import { Progress, formatSeconds } from '../progress';
import { checkOutputDir } from '../../io/outputPath';
import { writeOutputFile } from '../../io/writeOutputFile';
import { chanceValidationNote } from '../../train/chanceNote';
import { DEVICE_HELP, deviceOption, useDevice } from '../device';
import { cliText } from '../errorText';

/** A percentage; an accuracy that was not measured (valFraction 0: no validation split) says so. */
const pct = (v: number) =>
  Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : 'none (no validation split: valFraction 0)';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train one architecture of a space on a data set, with a recipe; checkpoints every epoch and resumes')
    .argument('<space>', 'a built-in space (tsnas space list) or a space file')
    .argument('[arch]', 'a registered name, a compact architecture string, or per-layer choice indices')
    .requiredOption(
      '--data <set>',
      `${DATA_SET_FORMS.join(', ')}; image files decode to the space's input (docs/data.md)`,
    )
    .option('--recipe <file>', 'recipe file (YAML or JSON); flags below override it')
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'))
    .option('--lr <x>', 'initial learning rate', positiveNumber('--lr'))
    .option('--batch-size <n>', 'batch size', positiveInt('--batch-size'))
    .option('--optimizer <name>', OPTIMIZERS.join(', '), oneOf('--optimizer', OPTIMIZERS))
    .option('--seed <n>', 'seed of data order, augmentation and initialisation', seedOption('--seed'))
    .option('--limit-train <n>', 'train on a stratified subset of this many images', positiveInt('--limit-train'))
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 2)
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('-o, --out <dir>', 'run directory (checkpoint, result.json); an existing checkpoint there is resumed')
    .option('--json', 'print the result as JSON on the last line')
    .action(async (spaceRef: string, archText: string | undefined, o) => {
      await useDevice(o.device);
      // The engine (libtorch) loads only for commands that run it.
      const { trainArchitecture } = await import('../../train/trainArchitecture');
      const { space, arch, name } = resolveArchitecture(archText, spaceRef);
      const data = loadDataSource(o.data, { input: space.input });
      // Flags win over the architecture's searched recipe fields; flags not given leave them as they are.
      const flags = Object.fromEntries(
        Object.entries({
          epochs: o.epochs,
          lr: o.lr,
          batchSize: o.batchSize,
          optimizer: o.optimizer,
          seed: o.seed,
        }).filter(([, v]) => v !== undefined),
      );
      const recipe = loadRecipe(o.recipe, { ...recipeOverridesFromArch(arch), ...flags });
      const out =
        o.out ??
        path.join('runs', `train-${space.name}-${name ?? 'arch'}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      // Before any training: a run directory that cannot be made fails now, not after an epoch.
      checkOutputDir(out, 'run directory', 'give another run directory (-o DIR)');
      const log = (s: string) => {
        if (!o.json) process.stderr.write(`${s}\n`);
      };
      for (const note of data.notes ?? []) log(note);
      log(
        `training ${name ?? 'architecture'} of ${space.name} on ${data.spec} for ${recipe.epochs} epochs (${recipe.optimizer}, lr ${recipe.lr}, batch ${recipe.batchSize}); run directory ${out}`,
      );
      let bar: Progress | null = null;
      const result = trainArchitecture({
        space,
        spaceRef,
        arch,
        recipe,
        data,
        limitTrain: o.limitTrain,
        test: true,
        checkpointDir: out,
        threads: o.threads,
        onProgress: (p) => {
          if (o.json) return;
          if (p.batch === 1) bar = new Progress(`epoch ${p.epoch}/${p.epochs}`, p.batches);
          bar?.tick(p.batch, `loss ${p.loss.toFixed(3)}`);
        },
        onEpoch: (m) =>
          log(
            `epoch ${m.epoch}: loss ${m.loss.toFixed(4)}, train acc ${(100 * m.trainAcc).toFixed(2)}%, val acc ${pct(m.valAcc)}, ${m.imgPerSec.toFixed(0)} img/s, ${formatSeconds(m.seconds)}`,
          ),
      });
      writeOutputFile(
        path.join(out, 'result.json'),
        JSON.stringify(
          // The images the data set left out (skipBadImages) are part of the run's record.
          data.imageFiles?.skipped.length ? { ...result, skippedImages: data.imageFiles.skipped } : result,
          null,
          2,
        ),
        'result',
        'give another run directory (-o DIR)',
      );
      if (result.resumedFrom > 0) log(`(resumed from the checkpoint after epoch ${result.resumedFrom})`);
      const note = chanceValidationNote(result.epochs, data.train.classes, result.steps);
      if (note) log(cliText(note, program));
      if (result.status === 'failed') {
        process.exitCode = 1;
        log(`training failed: ${result.error}`);
        log(`finished epochs and the last checkpoint are kept in ${out}`);
      } else {
        log(
          `test accuracy ${pct(result.testAcc!)}, validation ${pct(result.valAcc)}; ${(result.flops / 1e6).toFixed(2)}M MACs, ${(result.params / 1e6).toFixed(3)}M params; checkpoint in ${out}`,
        );
      }
      if (o.json) {
        console.log(
          JSON.stringify({
            status: result.status,
            error: result.error,
            testAcc: result.testAcc,
            valAcc: result.valAcc,
            epochs: result.epochs,
            imgPerSec: result.imgPerSec,
            arch: result.arch,
            flops: result.flops,
            params: result.params,
            checkpoint: out,
          }),
        );
      }
    });

  program
    .command('eval')
    .description('evaluate a checkpoint written by tsnas train on a data set (the test split unless --split val)')
    .argument('<checkpoint>', 'a run directory or its checkpoint.safetensors')
    .requiredOption('--data <set>', `the data set: ${DATA_SET_FORMS.join(', ')} (docs/data.md)`)
    .option(
      '--split <which>',
      'test or val (the validation split the run held out)',
      oneOf('--split', ['test', 'val'] as const),
      'test',
    )
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 2)
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('--json', 'print the result as JSON on the last line')
    .action(async (checkpoint: string, o) => {
      await useDevice(o.device);
      const { restoreNetwork } = await import('../../train/restoreNetwork');
      const { evaluate } = await import('../../train/evaluate');
      const { BatchLoader } = await import('../../data/loader');
      const { network, state, info } = restoreNetwork(checkpoint);
      // Image files decode to the space's input, as in training (the network's own may be a searched resolution).
      const data = loadDataSource(o.data, { input: spaceInput(info.space, info.input) });
      try {
        const t = data.train;
        if (t.channels !== info.input[0] || t.classes !== info.classes) {
          throw new Error(
            `${checkpoint} holds a network for ${info.input.join('x')} inputs and ${info.classes} classes; ${data.spec} has ${t.channels} channels and ${t.classes} classes`,
          );
        }
        const recipe = state.run.recipe as {
          valFraction: number;
          seed: number;
          splitSeed?: number;
          resolution: number | null;
        };
        const set = o.split === 'test' ? data.test : data.train;
        const indices =
          o.split === 'test'
            ? allIndices(data.test)
            : stratifiedSplit(data.train, recipe.valFraction, recipe.splitSeed ?? recipe.seed).val;
        const loader = new BatchLoader(set, indices, {
          batchSize: 256,
          shuffle: false,
          seed: 0,
          mean: data.mean,
          std: data.std,
          resize: recipe.resolution ?? undefined,
          memoryFormat: 'channels_last',
        });
        const r = (() => {
          try {
            return evaluate(network.to({ memoryFormat: 'channels_last' }), loader);
          } finally {
            loader.dispose();
          }
        })();
        if (o.json)
          console.log(
            JSON.stringify({
              split: o.split,
              accuracy: r.accuracy,
              loss: r.loss,
              count: r.count,
              arch: info.arch,
              space: info.space,
              epoch: state.epoch,
            }),
          );
        else
          console.log(
            `${o.split} accuracy ${(100 * r.accuracy).toFixed(2)}% (loss ${r.loss.toFixed(4)}) over ${r.count} images; ${info.space} ${info.arch}, after epoch ${state.epoch}`,
          );
      } finally {
        network.dispose();
      }
    });
}

function spaceInput(spaceRef: string, fallback: readonly [number, number, number]): readonly [number, number, number] {
  try {
    const s = loadSpace(spaceRef).input;
    return [fallback[0], s[1], s[2]];
  } catch {
    return fallback;
  }
}
