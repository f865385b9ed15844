// tsnas predict: the top classes of images by a trained model, a run directory (in the engine) or
// an exported ONNX file (in onnxruntime-node), with the model's own preprocessing (src/predict/).
import type { Command } from 'commander';
import { positiveInt } from '../options';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description(
      "the top classes of images, with probabilities, by a trained run (in the engine) or an exported ONNX model (in onnxruntime-node), each image decoded by the model's own preprocessing",
    )
    .argument(
      '<model>',
      "a run directory of 'tsnas train' (or its checkpoint.safetensors), or a .onnx file of 'tsnas export'",
    )
    .argument('<images...>', 'image files: JPEG, PNG, WebP, GIF or TIFF')
    .option('--top <k>', 'classes to show per image', positiveInt('--top'), 5)
    .option('--threads <n>', 'intra-op threads', positiveInt('--threads'), 1)
    .option('--json', 'print the predictions as JSON on the last line')
    .action(async (model: string, images: string[], o) => {
      const { openPredictor, predictImages } = await import('../../predict');
      const predictor = await openPredictor(model, { threads: o.threads });
      try {
        for (const note of predictor.notes) process.stderr.write(`note: ${note}\n`);
        const predictions = await predictImages(predictor, images, { top: o.top });
        if (o.json) {
          console.log(
            JSON.stringify({
              model,
              runtime: predictor.runtime,
              assumedPreprocessing: predictor.assumed,
              predictions,
            }),
          );
          return;
        }
        for (const p of predictions)
          console.log(
            `${p.image}: ${p.top.map((t) => `${t.className} ${(100 * t.probability).toFixed(2)}%`).join(', ')}`,
          );
      } finally {
        await predictor.close();
      }
    });
}
