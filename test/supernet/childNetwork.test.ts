// A single path of a supernet as a standalone network: the supernet mirrors the standalone
// network's names and shapes (stages.<i>.<j>.ops.<op>.<role> <-> stages.<i>.<j>.<role>), the
// child's state dict is the supernet's tensors renamed, the extracted network carries copies of
// the weights and BatchNorm statistics and computes exactly what the supernet's forwardPath
// computes on that path (eval mode), and nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, randn } from '../../src/engine/creation';
import { noGrad } from '../../src/engine/autograd';
import { tidy } from '../../src/engine/memory';
import { buildNetwork } from '../../src/builder/buildNetwork';
import { childStateDict, extractChildNetwork } from '../../src/supernet/childNetwork';
import { archOfIndices, supernetLayout } from '../../src/supernet/layout';
import { SupernetNetwork } from '../../src/supernet/supernetNetwork';
import { noLeaks } from '../helpers/leakCheck';
import { tinySpace } from '../helpers/tinySpace';

const space = tinySpace();
const layout = supernetLayout(space);
const PATHS = [
  [1, 2, 0, 0],
  [0, 0, 0, 0],
  [2, 1, 2, 0],
  [2, 2, 1, 0],
];

/** A supernet whose BatchNorm statistics are no longer the initial ones (every candidate trained a few steps' worth). */
function makeSupernet(): SupernetNetwork {
  manualSeed(0);
  const sn = new SupernetNetwork(layout);
  noGrad(() =>
    tidy(() => {
      for (let k = 0; k < 3; k++)
        for (const i of [0, 1, 2]) sn.forwardPath(randn([4, 1, 16, 16]).mul(2).add(0.5), [i, i, i, 0]);
    }),
  );
  return sn.eval();
}

test(
  'the fixed layers and every candidate mirror the standalone network (names and shapes)',
  noLeaks(() => {
    const sn = makeSupernet();
    const idx = [1, 2, 0, 0];
    const net = buildNetwork(space, archOfIndices(sn.layout, idx));
    try {
      const own = new Map([...sn.stateDict()].map(([n, t]) => [n, t.shape.join('x')]));
      for (const [name, t] of net.stateDict()) {
        // stages.<i>.<j>.<rest> in the network is stages.<i>.<j>.ops.<op>.<rest> in the supernet.
        const m = /^(stages\.(\d+)\.(\d+))\.(.*)$/.exec(name);
        let sname = name;
        if (m) {
          const layer = sn.choiceLayers.find((op) => op.layer.name === m[1])!;
          sname = `${m[1]}.ops.${layer.layer.candidates[idx[sn.choiceLayers.indexOf(layer)]!]!.op}.${m[4]}`;
        }
        assert.equal(own.get(sname), t.shape.join('x'), `${name} -> ${sname}`);
      }
    } finally {
      sn.dispose();
      net.dispose();
    }
  }),
);

test(
  "childStateDict: the child network's names, the supernet's own tensors; other candidates stay behind",
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      for (const idx of PATHS) {
        const state = childStateDict(sn, idx);
        const net = buildNetwork(space, archOfIndices(layout, idx));
        try {
          assert.deepEqual([...state.keys()].sort(), [...net.stateDict().keys()].sort(), idx.join('-'));
        } finally {
          net.dispose();
        }
        const own = sn.stateDict();
        for (const [name, t] of state) {
          // Fixed parts keep their names; a layer's entries are its chosen candidate's, renamed.
          const m = /^(stages\.(\d+)\.(\d+))\.(.*)$/.exec(name);
          const l = m ? layout.layers.findIndex((x) => x.name === m[1]) : -1;
          const source = m ? `${m[1]}.ops.${layout.layers[l]!.candidates[idx[l]!]!.op}.${m[4]}` : name;
          assert.equal(t, own.get(source), `${name} is the supernet's ${source}`);
        }
      }
      assert.throws(() => childStateDict(sn, [0, 0, 3, 0]), /layer3: candidate index 3 is out of range 0\.\.2/);
      assert.throws(() => childStateDict(sn, [0, 0]), /has 4 layers; got 2 candidate indices/);
    } finally {
      sn.dispose();
    }
  }),
);

test(
  'extractChildNetwork: copies of the weights and BatchNorm statistics, output equal to forwardPath (eval)',
  noLeaks(() => {
    const sn = makeSupernet();
    try {
      for (const idx of PATHS) {
        const net = extractChildNetwork(sn, idx);
        try {
          assert.equal(net.training, false, "the supernet's mode");
          const state = childStateDict(sn, idx);
          for (const [name, t] of net.stateDict()) {
            assert.notEqual(t, state.get(name), `${name} is a copy`);
            assert.deepEqual(t.toArray(), state.get(name)!.toArray(), name);
          }
          const bn = [...net.stateDict()].find(([n]) => n.endsWith('running_mean') && n.startsWith('stages'))!;
          assert.ok(
            bn[1].toArray().some((v) => v !== 0),
            `${bn[0]} carries the trained statistics`,
          );
          tidy(() => {
            manualSeed(7);
            const x = randn([5, 1, 16, 16]);
            assert.deepEqual(net.forward(x).toArray(), sn.forwardPath(x, idx).toArray(), idx.join('-'));
          });
          // Copies: changing the child leaves the supernet alone.
          const [name, w] = net.namedParameters()[0]!;
          const before = state.get(name)!.toArray();
          noGrad(() => w.add_(1));
          assert.deepEqual(state.get(name)!.toArray(), before);
        } finally {
          net.dispose();
        }
      }
      sn.train();
      const net = extractChildNetwork(sn, PATHS[0]!);
      assert.equal(net.training, true);
      net.dispose();
    } finally {
      sn.dispose();
    }
  }),
);
