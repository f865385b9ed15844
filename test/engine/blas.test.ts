// blasInUse: which BLAS libtorch calls, read from the process's mapped files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blasInUse } from '../../src/engine/blas';
import { runtimeInfo } from '../../src/engine/runtime';

const line = (file: string) => `7f0b5fb4a000-7f0b5fb5c000 r-xp 00000000 08:01 123456                     ${file}`;

test('the file loaded as libblas.so.3 names the BLAS, even when OpenBLAS comes in through LAPACK', () => {
  const reference = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0';
  const openblas = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so';
  assert.deepEqual(blasInUse([line('/usr/bin/node'), line(openblas), line(reference)].join('\n')), {
    name: 'reference BLAS (Netlib)',
    library: reference,
  });
  const shim = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';
  assert.deepEqual(blasInUse([line(shim), line(openblas)].join('\n')), { name: 'OpenBLAS', library: shim });
  assert.deepEqual(blasInUse(line('/opt/intel/lib/libmkl_rt.so.2')), {
    name: 'MKL',
    library: '/opt/intel/lib/libmkl_rt.so.2',
  });
  // PyTorch's libtorch links MKL into libtorch_cpu.so: no BLAS file of its own.
  assert.deepEqual(
    blasInUse(
      [line('/opt/libtorch/lib/libtorch_cpu.so'), '7fff0000-7fff1000 rw-p 00000000 00:00 0 [stack]'].join('\n'),
    ),
    {
      name: 'built into libtorch',
      library: null,
    },
  );
});

test('runtimeInfo names the BLAS this process loaded', () => {
  const { blas } = runtimeInfo();
  const live = blasInUse();
  assert.ok(blas.startsWith(live.name), `${blas} vs ${JSON.stringify(live)}`);
  if (live.library) assert.ok(blas.includes(live.library));
  assert.notEqual(live.name, 'unknown', 'on Linux /proc/self/maps is readable');
});
