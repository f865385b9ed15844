// tsnas export: a trained network (a run directory or checkpoint of `tsnas train`) or an
// architecture of any space, written as an ONNX model and checked in onnxruntime-node.
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeOutputFile, checkOutputPath } from '../../io/writeOutputFile';
import { formatArch, parseArch } from '../../space/archFormat';
import { loadSpace, resolveArchitecture } from '../../space/registry';
import { DEFAULT_OPSET, SUPPORTED_OPSETS } from '../../export/onnxGraph';
import { positiveInt } from '../options';
import { parseInputArg } from './space';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write a network as ONNX (named input "images" and output "logits", symbolic batch, BatchNorm folded) and check it in onnxruntime-node',
    )
    .argument('[space]', "a built-in space or a space file (default with --checkpoint: the checkpoint's)")
    .argument('[arch]', 'a registered name, a compact architecture string or choice indices')
    .option('--checkpoint <run>', "a run directory or checkpoint file of 'tsnas train': its trained weights")
    .option('-o, --out <file>', 'the ONNX file to write (missing directories are made)')
    .option(
      '--web <dir>',
      'also write a static web page that classifies images with the model (onnxruntime-web beside it)',
    )
    .option('--opset <n>', `ONNX opset: ${SUPPORTED_OPSETS.join(', ')}`, positiveInt('--opset'), DEFAULT_OPSET)
    .option('--no-fold-bn', 'keep BatchNormalization nodes instead of folding them into the convolutions')
    .option('--input <CxHxW>', "input shape of an untrained architecture (default: the space's)", parseInputArg)
    .option('--classes <n>', "classes of an untrained architecture (default: the space's)", positiveInt('--classes'))
    .option('--no-verify', 'skip running the model in onnxruntime-node against the engine')
    .option('--json', 'print what was written as JSON')
    .action(async (spaceRef: string | undefined, archText: string | undefined, o) => {
      if (o.out === undefined && o.web === undefined)
        throw new Error(
          `name the ONNX file to write: -o FILE (e.g. npx tsnas export ${spaceRef ?? 'fbnet-s'} -o model.onnx), or a folder for a web page with the model: --web DIR`,
        );
      if (!spaceRef && !o.checkpoint)
        throw new Error(
          'name a space and architecture (npx tsnas export fbnet-s fbnet-s-baseline -o m.onnx), or a trained run (--checkpoint RUN)',
        );
      if (!(SUPPORTED_OPSETS as readonly number[]).includes(o.opset))
        throw new Error(`--opset ${o.opset} is not supported: choose one of ${SUPPORTED_OPSETS.join(', ')}`);
      if (o.out !== undefined) checkOutputPath(o.out, 'ONNX model');
      // The engine loads only here.
      const { exportNetwork, verifyExport, EXPORT_TOLERANCE } = await import('../../export');
      const { buildNetwork } = await import('../../builder/buildNetwork');
      let network;
      let source: string;
      let archString: string;
      let spaceName: string;
      let described: Record<string, string> = {};
      if (o.checkpoint) {
        if (o.input || o.classes)
          throw new Error(`--input and --classes are the checkpoint's own (${o.checkpoint}); leave them out`);
        const { restoreNetwork, checkpointSpace } = await import('../../train/restoreNetwork');
        const held = checkpointSpace(o.checkpoint);
        if (spaceRef) {
          const space = loadSpace(spaceRef);
          if (space.name !== held.space)
            throw new Error(
              `${o.checkpoint} holds a network of space '${held.space}', not '${space.name}': export it with npx tsnas export ${held.space} --checkpoint ${o.checkpoint} (or without the space)`,
            );
          if (archText !== undefined) {
            const { arch } = resolveArchitecture(archText, space);
            if (formatArch(space, arch) !== formatArch(space, parseArch(space, held.arch)))
              throw new Error(
                `${o.checkpoint} holds architecture '${held.arch}', not '${archText}': leave the architecture out to export the checkpoint's`,
              );
          }
        }
        const restored = restoreNetwork(o.checkpoint);
        network = restored.network;
        source = `checkpoint ${o.checkpoint} (epoch ${restored.state.epoch})`;
        archString = restored.info.arch;
        spaceName = restored.info.space;
        // Class names, input and normalisation travel in the model (absent from older checkpoints).
        if (restored.info.model !== undefined) {
          const { checkModelDescription, modelMetadata } = await import('../../data/modelDescription');
          described = modelMetadata(checkModelDescription(restored.info.model, `${o.checkpoint}: the model`));
        }
      } else {
        const { space, arch, name } = resolveArchitecture(archText, spaceRef);
        network = buildNetwork(space, arch, {
          ...(o.input ? { input: o.input } : {}),
          ...(o.classes ? { classes: o.classes } : {}),
        });
        source =
          'untrained (fresh initialisation): for deployment and latency checks; export a trained run with --checkpoint';
        archString = name ?? formatArch(space, arch);
        spaceName = space.name;
      }
      try {
        network.eval();
        const { bytes, summary } = exportNetwork(network, {
          opset: o.opset,
          foldBatchNorm: o.foldBn,
          docString: `tsnas network of space ${spaceName}: ${archString || '(fixed)'}; weights: ${source}`,
          metadata: { space: spaceName, arch: archString, weights: source, ...described },
        });
        const verified = o.verify ? await verifyExport(network, bytes, network.desc.input, { batch: 2 }) : null;
        if (verified && !(verified.maxAbsDiff <= EXPORT_TOLERANCE))
          throw new Error(
            `the exported model's outputs differ from the engine's by up to ${verified.maxAbsDiff} (more than ${EXPORT_TOLERANCE}); nothing was written. Please report it with the command you ran`,
          );
        if (o.out !== undefined) writeOutputFile(o.out, bytes, 'ONNX model');
        const web = o.web === undefined ? null : (await import('../../predict/webPage')).writeWebPage(o.web, bytes);
        if (o.json) {
          console.log(
            JSON.stringify({
              file: o.out ?? null,
              space: spaceName,
              arch: archString,
              source,
              ...summary,
              verify: verified,
              web: web && { dir: web.dir, files: web.files },
            }),
          );
          return;
        }
        console.log(
          `wrote ${o.out ?? path.join(o.web, 'model.onnx')}: ${spaceName} ${archString || '(fixed)'}, opset ${summary.opset} (IR ${summary.irVersion}), ${summary.nodes} nodes, ` +
            `${summary.weights} weights, ${(summary.bytes / 1024).toFixed(0)} KiB; BatchNorm ${summary.foldBatchNorm ? 'folded into the convolutions' : 'kept as BatchNormalization nodes'}`,
        );
        console.log(
          `input '${summary.input.name}' [${summary.input.shape.join(', ')}] -> output '${summary.output.name}' [${summary.output.shape.join(', ')}]; weights: ${source}`,
        );
        if (verified)
          console.log(
            `checked in onnxruntime-node: batch ${verified.batch} of random inputs, max abs difference from the engine ${verified.maxAbsDiff.toExponential(2)} (outputs up to ${verified.maxAbsOutput.toFixed(3)})`,
          );
        if (web)
          console.log(
            `wrote the web page ${path.join(web.dir, 'index.html')} with the model and onnxruntime-web (${(web.bytes / 2 ** 20).toFixed(1)} MiB); serve the folder with any static server, e.g. python3 -m http.server -d ${web.dir}` +
              (Object.keys(described).length
                ? ''
                : '; the model carries no class names or normalisation (not a trained run), so the page assumes them'),
          );
      } finally {
        network.dispose();
      }
    });
}
