// The supernet network: the standalone network's names with a choice layer per stage layer,
// a forward over a path of candidate indices or branch sets (equal to the layers composed by
// hand between the network's own stem and head), the errors, and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn } from '../../src/engine/creation';
import { tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { supernetLayout } from '../../src/supernet/layout';
import { SupernetNetwork, type SupernetPath } from '../../src/supernet/supernetNetwork';
import { noLeaks } from '../helpers/leakCheck';
import { tinySpace } from '../helpers/tinySpace';

const layout = supernetLayout(tinySpace());

function makeSupernet(): SupernetNetwork {
  manualSeed(0);
  return new SupernetNetwork(layout).eval();
}

/** The path computed layer by layer with the network's own fixed parts. */
function byHand(sn: SupernetNetwork, x: Tensor, path: SupernetPath): Tensor {
  let h = sn.stem.forward(x);
  sn.choiceLayers.forEach((layer, l) => {
    const c = path[l]!;
    const ids = typeof c === 'number' ? [c] : c;
    h = ids.map((i) => layer.ops[i]!.forward(h)).reduce((a, b) => a.add(b));
  });
  return sn.classifier.forward(sn.pool.forward(sn.head.forward(h)));
}

test(
  'names: the network roles, candidates under ops.<op>, one choice layer per layer of the layout',
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      assert.deepEqual(
        sn.choiceLayers.map((c) => c.layer.name),
        ['stages.0.0', 'stages.1.0', 'stages.1.1', 'stages.2.0'],
      );
      assert.deepEqual(
        sn.choiceLayers.map((c) => c.size),
        [3, 3, 3, 1],
      );
      const names = [...sn.stateDict().keys()];
      for (const n of [
        'stem.conv.weight',
        'stages.1.0.ops.ir_k3_e3.conv_dw.weight',
        'stages.2.0.ops.ir_k3_e1.bn3.running_var',
        'head.conv.weight',
        'classifier.weight',
      ]) {
        assert.ok(names.includes(n), `${n} in ${names.filter((x) => !x.startsWith('stages')).join(', ')}`);
      }
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'forwardPath: indices and branch sets equal the layers composed by hand',
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      tidy(() => {
        const x = randn([3, 1, 16, 16]);
        const paths: SupernetPath[] = [
          [0, 1, 2, 0],
          [2, 2, 0, 0],
          [[0, 2], 1, [0, 1, 2], 0],
          [[1], [2, 0], 2, [0]],
        ];
        for (const path of paths) {
          sn.resetCalls();
          const y = sn.forwardPath(x, path);
          assert.deepEqual(y.shape, [3, 10]);
          assert.deepEqual(
            sn.choiceLayers.map((c) => c.calls.reduce((a, b) => a + b, 0)),
            path.map((c) => (typeof c === 'number' ? 1 : c.length)),
          );
          assert.deepEqual(y.toArray(), byHand(sn, x, path).toArray(), JSON.stringify(path));
        }
      });
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'a supernet needs a path: forward and wrong paths are refused',
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      tidy(() => {
        const x = randn([1, 1, 16, 16]);
        assert.throws(() => sn.forward(x), /a supernet runs a path: forwardPath\(x, path\)/);
        assert.throws(() => sn.forwardPath(x, [0, 0, 0]), /space 'tiny-fbnet' has 4 layers; the path has 3 choices/);
        assert.throws(
          () => sn.forwardPath(x, [0, 0, 0, 1]),
          /layer4 \(stages\.2\.0\): candidate index 1 is out of range 0\.\.0/,
        );
      });
    } finally {
      sn.dispose();
    }
  }),
);
