// FBNetV3's point from code: a NARS study (architecture and recipe searched together by a
// predictor) answers new resource budgets afterwards without searching again, and the answer
// for a budget is exported to ONNX and checked in onnxruntime-node.
//
// The evaluator is 'synthetic' (a smooth function of the architecture-recipe pair standing in for
// training, so that the example runs in seconds); with `data: 'fashion-mnist'` instead, each
// candidate is trained.
//
//   node narsBudgets.js [STORE] [OUT_DIR]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createStudy } from 'tsnas/search';
import { loadSpace, parseArch } from 'tsnas/space';
import { buildNetwork } from 'tsnas/builder';
import { exportNetwork, verifyExport } from 'tsnas/export';
import { memory } from 'tsnas';

async function main(): Promise<void> {
  const [store = 'studies.db', out = 'answers'] = process.argv.slice(2);
  const study = await createStudy({
    store,
    name: 'nars-budgets',
    space: 'fbnetv3-s',
    strategy: 'nars',
    strategyOptions: { window: 'flops>=2M,flops<=8M' },
    evaluator: 'synthetic',
    trials: 20,
    seed: 5,
    loadIfExists: true,
  });
  try {
    await study.optimize();
    // Two budgets the study was not asked for, answered by its predictor in CPU seconds.
    const answers = await study.answer(['flops<=3M', 'params<=150K']);
    fs.mkdirSync(out, { recursive: true });
    const space = loadSpace('fbnetv3-s');
    const exported = [];
    for (const a of answers) {
      const range = a.range?.extrapolated
        ? ` (extrapolated ${(100 * a.range.distance).toFixed(0)}% ${a.range.side})`
        : '';
      console.log(`${a.budget}: ${a.arch} predicted ${a.predicted?.toFixed(4)}, ${a.costs.flops} FLOPs${range}`);
      // The answer's network, exported (recipe fields of the string are training's, not the network's).
      const network = buildNetwork(space, parseArch(space, a.arch), { input: [3, 32, 32], classes: 10 });
      try {
        const model = exportNetwork(network);
        const file = path.join(out, `${a.budget.replace(/[^A-Za-z0-9]+/g, '_')}.onnx`);
        fs.writeFileSync(file, model.bytes);
        const check = await verifyExport(network, model.bytes, [3, 32, 32]);
        console.log(
          `  ${file}: ${model.summary.nodes} nodes, engine and onnxruntime-node agree to ${check.maxAbsDiff.toExponential(1)} (outputs up to ${check.maxAbsOutput.toExponential(1)})`,
        );
        exported.push({
          budget: a.budget,
          file,
          maxAbsDiff: check.maxAbsDiff,
          flops: a.costs.flops,
          params: a.costs.params,
        });
      } finally {
        network.dispose();
      }
    }
    console.log(JSON.stringify({ answers: exported, live: memory().liveTensors }));
  } finally {
    study.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
