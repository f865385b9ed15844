#!/usr/bin/env node
// Prints the include or library flags node-gyp needs for libtorch, or explains how to get it.
// The location comes from TSNAS_LIBTORCH (a libtorch tree with include/ and lib/, e.g. a CUDA
// build unpacked from pytorch.org); without it, Debian's libtorch-dev layout is used.
'use strict';
const fs = require('fs');
const path = require('path');

function layout() {
  const root = process.env.TSNAS_LIBTORCH;
  if (root) {
    return {
      source: `TSNAS_LIBTORCH=${root}`,
      includes: [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')],
      libdir: path.join(root, 'lib'),
    };
  }
  return {
    source: "Debian's libtorch-dev",
    includes: ['/usr/include', '/usr/include/torch/csrc/api/include'],
    libdir: '/usr/lib/x86_64-linux-gnu',
  };
}

function fail(l, missing) {
  process.stderr.write(
    `\ntsnas: libtorch not found (${l.source}; missing ${missing}).\n` +
      'Fix it one of these ways:\n' +
      '  1. Debian/Ubuntu: sudo apt-get install libtorch-dev g++ make python3, then install tsnas again\n' +
      '     (in a clone of tsnas, bash scripts/setup.sh does all of it)\n' +
      '  2. Another libtorch (e.g. CUDA): unpack it and point TSNAS_LIBTORCH at it:\n' +
      '       TSNAS_LIBTORCH=/path/to/libtorch npm rebuild tsnas      (tsnas installed from npm)\n' +
      '       TSNAS_LIBTORCH=/path/to/libtorch npm run build:native   (a clone of tsnas)\n' +
      '     where /path/to/libtorch contains include/ and lib/libtorch.so\n\n',
  );
  process.exit(1);
}

const l = layout();
const header = path.join(l.includes[0], 'ATen/ATen.h');
if (!fs.existsSync(header)) fail(l, header);
const lib = path.join(l.libdir, 'libtorch.so');
if (!fs.existsSync(lib)) fail(l, lib);

const what = process.argv[2];
if (what === 'include') {
  process.stdout.write(l.includes.join(' '));
} else if (what === 'libdir') {
  process.stdout.write(l.libdir);
} else if (what === 'libs') {
  const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
  const cuda = ['torch_cuda', 'c10_cuda'].filter((x) => fs.existsSync(path.join(l.libdir, `lib${x}.so`)));
  // The addon calls nothing of libtorch_cuda directly: without --no-as-needed the linker drops it,
  // its CUDA hooks never register, and libtorch reports no CUDA (PyTorch wheels' torch/ folder).
  if (cuda.length) libs.push('-Wl,--no-as-needed', ...cuda.map((x) => `-l${x}`), '-Wl,--as-needed');
  process.stdout.write(libs.join(' '));
} else if (what === 'defines') {
  const cuda = fs.existsSync(path.join(l.libdir, 'libtorch_cuda.so'));
  process.stdout.write(cuda ? 'TSNAS_WITH_CUDA=1' : 'TSNAS_WITH_CUDA=0');
} else {
  process.stderr.write('usage: locate-libtorch.js include|libdir|libs|defines\n');
  process.exit(2);
}
