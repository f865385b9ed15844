// Memory scopes: tidy/keep/dispose, disposed-tensor errors, memory() accounting and the
// finalizer safety net.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ones, tensor, zeros } from '../../src/engine/creation';
import { dispose, keep, memory, tidy } from '../../src/engine/memory';
import type { Tensor } from '../../src/engine/tensor';
import { noLeaks } from '../helpers/leakCheck';

const live = () => memory().liveTensors;

test(
  'tidy disposes intermediates and keeps the returned tensor',
  noLeaks(() => {
    const before = live();
    let a!: Tensor;
    let b!: Tensor;
    const out = tidy(() => {
      a = tensor([1, 2, 3], [3], { dtype: 'float64' });
      b = a.mul(2);
      return b.add(1);
    });
    assert.equal(live(), before + 1);
    assert.ok(a.isDisposed, 'input made inside tidy was not disposed');
    assert.ok(b.isDisposed, 'intermediate was not disposed');
    assert.ok(!out.isDisposed);
    assert.deepEqual(out.toArray(), [3, 5, 7]);
    out.dispose();
    assert.equal(live(), before);
  }),
);

test(
  'tidy keeps tensors nested in returned arrays, objects and maps',
  noLeaks(() => {
    const before = live();
    let tmp!: Tensor;
    const res = tidy(() => {
      const x = tensor([1, 2], [2], { dtype: 'float64' });
      tmp = x.exp();
      const m = new Map<string, Tensor>([['m', x.neg()]]);
      return { a: x.add(1), list: [x.mul(3), { deep: x.sub(1) }], m, n: 5, s: 'text' };
    });
    assert.ok(tmp.isDisposed);
    const kept = [res.a, res.list[0] as Tensor, (res.list[1] as { deep: Tensor }).deep, res.m.get('m')!];
    for (const t of kept) assert.ok(!t.isDisposed);
    assert.deepEqual(
      kept.map((t) => t.toArray()),
      [
        [2, 3],
        [3, 6],
        [0, 1],
        [-1, -2],
      ],
    );
    assert.equal(res.n, 5);
    // x itself was not returned: disposed.
    assert.equal(live(), before + 4);
    dispose(res);
    assert.ok(kept.every((t) => t.isDisposed));
    assert.equal(live(), before);
  }),
);

test(
  'tidy with a name works like tidy',
  noLeaks(() => {
    const t = tidy('named', () => ones([2]).add(1));
    assert.deepEqual(t.toArray(), [2, 2]);
    t.dispose();
  }),
);

test(
  'keep() survives tidy until disposed explicitly',
  noLeaks(() => {
    const before = live();
    let kept!: Tensor;
    let other!: Tensor;
    tidy(() => {
      kept = keep(tensor([4, 5], [2]));
      other = tensor([6], [1]);
      // keep works on containers too
      keep({ arr: [] });
    });
    assert.ok(!kept.isDisposed);
    assert.ok(other.isDisposed);
    assert.deepEqual(kept.toArray(), [4, 5]);
    // A nested tidy does not dispose it either.
    tidy(() => {
      tidy(() => kept.add(1));
    });
    assert.ok(!kept.isDisposed);
    assert.equal(live(), before + 1);
    kept.dispose();
    assert.equal(live(), before);
  }),
);

test(
  'nested tidy moves its result to the parent scope',
  noLeaks(() => {
    const before = live();
    let inner!: Tensor;
    let innerTmp!: Tensor;
    const outer = tidy(() => {
      inner = tidy(() => {
        innerTmp = zeros([3]).add(1);
        return innerTmp.mul(2);
      });
      assert.ok(innerTmp.isDisposed, 'inner intermediate survived the inner tidy');
      assert.ok(!inner.isDisposed, 'inner result was disposed by the inner tidy');
      return inner.sum();
    });
    // The inner result belonged to the outer scope, which disposed it.
    assert.ok(inner.isDisposed, 'inner result was not adopted and disposed by the outer scope');
    assert.equal(outer.item(), 6);
    assert.equal(live(), before + 1);
    outer.dispose();
  }),
);

test(
  'a nested result returned through both scopes survives both',
  noLeaks(() => {
    const t = tidy(() => tidy(() => ones([2]).mul(7)));
    assert.ok(!t.isDisposed);
    assert.deepEqual(t.toArray(), [7, 7]);
    t.dispose();
  }),
);

test(
  'dispose() twice is safe, for tensors and for containers',
  noLeaks(() => {
    const before = live();
    const t = ones([4]);
    t.dispose();
    t.dispose();
    assert.ok(t.isDisposed);
    const group = [ones([1]), { b: ones([2]) }];
    dispose(group);
    dispose(group);
    assert.equal(live(), before);
  }),
);

test(
  'using a disposed tensor throws an Error naming the op that made it',
  noLeaks(() => {
    const a = ones([2, 2]);
    const b = a.matmul(a);
    b.dispose();
    assert.throws(
      () => b.add(1),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /disposed/);
        assert.match(err.message, /made by matmul/);
        return true;
      },
    );
    assert.throws(() => b.toArray(), /matmul.*disposed/);
    assert.throws(() => b.shape, /disposed/);
    // As an argument too.
    assert.throws(() => a.add(b), /made by matmul\) was disposed/);
    // A tensor disposed by tidy.
    let inside!: Tensor;
    tidy(() => {
      inside = a.exp();
    });
    assert.throws(() => inside.sum(), /Tensor \(made by exp\) was disposed/);
    a.dispose();
  }),
);

test(
  'tidy with a throwing fn disposes its tensors and rethrows',
  noLeaks(() => {
    const before = live();
    let made: Tensor[] = [];
    const boom = new Error('boom');
    assert.throws(
      () =>
        tidy(() => {
          const x = ones([3]);
          made = [x, x.add(1), x.mul(2)];
          throw boom;
        }),
      (err) => err === boom,
    );
    assert.ok(made.every((t) => t.isDisposed));
    assert.equal(live(), before);
    // A libtorch error inside tidy: the same.
    assert.throws(() => tidy(() => ones([2, 3]).matmul(ones([4, 5]))), /matmul/);
    assert.equal(live(), before);
    // Kept tensors survive the throw.
    let kept!: Tensor;
    assert.throws(() =>
      tidy(() => {
        kept = keep(ones([1]));
        throw new Error('x');
      }),
    );
    assert.ok(!kept.isDisposed);
    kept.dispose();
  }),
);

test(
  'tidy(async fn) throws and disposes what the function made synchronously',
  noLeaks(async () => {
    const before = live();
    let made!: Tensor;
    assert.throws(
      () =>
        tidy(async () => {
          made = ones([2]).add(1);
          return made;
        }),
      /tidy\(\) cannot run an async function/,
    );
    assert.ok(made.isDisposed);
    assert.equal(live(), before);
    await Promise.resolve();
  }),
);

test(
  'memory().liveBytes rises and falls with allocations',
  noLeaks(() => {
    const m0 = memory();
    const a = zeros([1000], { dtype: 'float64' });
    const m1 = memory();
    assert.equal(m1.liveTensors, m0.liveTensors + 1);
    assert.equal(m1.liveBytes, m0.liveBytes + 8000);
    const b = zeros([250], { dtype: 'float32' });
    assert.equal(memory().liveBytes, m0.liveBytes + 9000);
    // A view shares its storage: one more tensor, no more bytes.
    const v = a.reshape(10, 100);
    assert.equal(memory().liveTensors, m0.liveTensors + 3);
    assert.equal(memory().liveBytes, m0.liveBytes + 9000);
    a.dispose();
    assert.equal(memory().liveBytes, m0.liveBytes + 9000, 'the view still holds the storage');
    v.dispose();
    assert.equal(memory().liveBytes, m0.liveBytes + 1000);
    b.dispose();
    assert.deepEqual(memory(), m0);
  }),
);

test(
  'finalizer safety net: tensors dropped outside any scope are freed by GC',
  noLeaks(async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const before = live();
    const N = 50;
    // Held while referenced (the collector may run at any allocation: finalizers run inside GC)...
    // (Made in an inner function, so no stack slot of this one keeps the last of them reachable.)
    let held: Tensor[] | null = (() => {
      const out: Tensor[] = [];
      for (let i = 0; i < N; i++) {
        const o = ones([64], { dtype: 'float64' });
        out.push(o, o.mul(i));
      }
      return out;
    })();
    assert.equal(live(), before + 2 * N, 'tensors made outside a scope stay alive while referenced');
    assert.equal(held.length, 2 * N);
    // ...and freed by the collector once dropped.
    // eslint-disable-next-line no-useless-assignment -- dropping the last reference is the point
    held = null;
    // N-API finalizers may run after the collection (on a later tick): collect and yield a few times.
    for (let round = 0; round < 20 && live() > before; round++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(live(), before, `GC freed ${before + 2 * N - live()} of ${2 * N} dropped tensors`);
  }),
);

test(
  'noLeaks itself reports a leaked tensor',
  noLeaks(async () => {
    let leaked: Tensor | null = null;
    const leaky = noLeaks(() => {
      leaked = ones([1]);
    });
    await assert.rejects(leaky(undefined), /tensor leak: 1 live tensor\(s\) more/);
    (leaked as Tensor | null)?.dispose();
  }),
);
