#!/usr/bin/env node
// Finds or builds tsnas's native addon against libtorch; `npm install` of the package runs it, and
// so does scripts/setup.sh in a source checkout. In order:
//   1. the addon in native/build is up to date (built for this libtorch location, newer than the
//      native sources): nothing to do;
//   2. a build of the same native sources for the same libtorch and Node ABI is in the cache
//      (TSNAS_ADDON_CACHE, else $XDG_CACHE_HOME/tsnas/addon, else ~/.cache/tsnas/addon): copy it;
//   3. otherwise build it with node-gyp (g++, make and python3 needed), then store it in the cache.
// libtorch is Debian's libtorch-dev, or the tree TSNAS_LIBTORCH names (a CUDA build included); when
// it or a compiler is missing, the install fails with a message that says what to install.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const here = __dirname;
const addon = path.join(here, 'build', 'Release', 'tsnas_native.node');
const stamp = path.join(here, 'build', 'libtorch-location');
const where = process.env.TSNAS_LIBTORCH || 'debian';
const sources = [
  path.join(here, 'binding.gyp'),
  path.join(here, 'locate-libtorch.js'),
  ...fs
    .readdirSync(path.join(here, 'src'))
    .sort()
    .map((f) => path.join(here, 'src', f)),
];
const say = (msg) => process.stderr.write(`[tsnas install] ${msg}\n`);

function upToDate() {
  if (!fs.existsSync(addon)) return false;
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8').trim() !== where) return false;
  const built = fs.statSync(addon).mtimeMs;
  return sources.every((f) => fs.statSync(f).mtimeMs <= built);
}

/** libtorch's library directory, or the locate script's own message and exit when it is missing. */
function libdir() {
  const r = spawnSync(process.execPath, [path.join(here, 'locate-libtorch.js'), 'libdir'], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  return r.stdout.trim();
}

/** What the build depends on: the native sources, the libtorch it links (which file, its size and
 *  time: an upgrade in place changes them), Node's ABI and the platform. */
function cacheKey(lib) {
  const h = crypto.createHash('sha256');
  for (const f of sources) h.update(path.basename(f)).update(fs.readFileSync(f));
  const torch = fs.realpathSync(path.join(lib, 'libtorch.so'));
  const st = fs.statSync(torch);
  h.update(`${where}\n${torch}\n${st.size}\n${st.mtimeMs}\n`);
  h.update(`${process.versions.modules}\n${process.platform}\n${process.arch}\n`);
  return h.digest('hex').slice(0, 32);
}

function cacheDir() {
  if (process.env.TSNAS_ADDON_CACHE) return process.env.TSNAS_ADDON_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tsnas', 'addon');
}

/** node-gyp: npm's own (npm gives lifecycle scripts its path), else a local one, else npx's. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, fromNpm];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js')];
  } catch {
    return ['npx', '--yes', 'node-gyp'];
  }
}

function build() {
  for (const tool of ['g++', 'make', 'python3']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      say(`building the addon needs ${tool}, which is not installed. On Debian/Ubuntu: sudo apt-get install g++ make python3`);
      process.exit(1);
    }
  }
  const [cmd, ...pre] = nodeGyp();
  say(`building the native addon against libtorch (${where}); this takes a few minutes`);
  const jobs = String(Math.max(1, os.cpus().length));
  const r = spawnSync(cmd, [...pre, 'rebuild', '--directory', here, '-j', jobs, '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) {
    say(
      `the addon build failed (node-gyp exit ${r.status}). libtorch: ${where === 'debian' ? "Debian's libtorch-dev" : `TSNAS_LIBTORCH=${where}`}. ` +
        'The compiler output above names the cause; a libtorch from pytorch.org needs TSNAS_LIBTORCH set to its folder.',
    );
    process.exit(1);
  }
  fs.writeFileSync(stamp, `${where}\n`);
}

/** Keeps the addon in the cache (a later install of the package for the same libtorch finds it). */
function store(cached) {
  if (fs.existsSync(cached)) return;
  try {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.copyFileSync(addon, tmp);
    fs.renameSync(tmp, cached);
  } catch (err) {
    say(`could not keep the build in ${cacheDir()} (${err.message}); the addon itself is built`);
  }
}

function main() {
  const fresh = upToDate();
  const lib = libdir();
  const cached = path.join(cacheDir(), cacheKey(lib), 'tsnas_native.node');
  if (fresh) return store(cached);
  if (fs.existsSync(cached)) {
    fs.mkdirSync(path.dirname(addon), { recursive: true });
    fs.copyFileSync(cached, addon);
    fs.writeFileSync(stamp, `${where}\n`);
    say(`found the native addon built for this libtorch (${where}) in ${path.dirname(cached)}`);
    return;
  }
  build();
  store(cached);
}

if (require.main === module) main();
module.exports = { cacheKey, cacheDir, upToDate };
