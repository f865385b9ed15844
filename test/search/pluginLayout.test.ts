// Every method folder is laid out alike (docs/architecture.md): its plug-in object in index.ts, its
// strategy class in strategy.ts; and reading the registry or any plug-in loads no engine code (the
// engine loads, dynamically, when a search trains or times a network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { strategyPlugins } from '../../src/search/registry';

const root = path.resolve(__dirname, '..', '..');
/** The folder of each built-in method under src/search/. */
const FOLDERS = ['random', 'evolution', 'fbnet', 'nars', 'spos', 'nse'];

/** The plug-in objects a module exports (values with a name and a create function). */
const pluginsOf = (mod: Record<string, unknown>) =>
  Object.values(mod).filter(
    (v) => !!v && typeof v === 'object' && typeof (v as { create?: unknown }).create === 'function' && 'name' in v,
  );

test('each method folder: the plug-in object in index.ts (the one registered), none in strategy.ts', () => {
  const registered = new Set(strategyPlugins());
  const found = new Set<unknown>();
  for (const folder of FOLDERS) {
    const index = require(path.join(root, 'src/search', folder, 'index')) as Record<string, unknown>;
    const strategy = require(path.join(root, 'src/search', folder, 'strategy')) as Record<string, unknown>;
    const plugins = pluginsOf(index);
    assert.ok(plugins.length > 0, `${folder}/index.ts exports its plug-in`);
    for (const p of plugins) {
      assert.ok(
        registered.has(p as never),
        `${folder}/index.ts's ${(p as { name: string }).name} is the one registered`,
      );
      found.add(p);
    }
    assert.deepEqual(
      pluginsOf(strategy).map((p) => (p as { name: string }).name),
      [],
      `${folder}/strategy.ts holds no plug-in object`,
    );
  }
  assert.equal(found.size, registered.size, 'every registered plug-in lives in a method folder');
});

test('the registry and every method folder load no engine code (the engine loads when a search trains or times)', () => {
  const out = execFileSync(process.execPath, [
    '-e',
    `
    const { strategyNames } = require(${JSON.stringify(path.join(root, 'src/search/registry'))});
    for (const f of ${JSON.stringify(FOLDERS)}) require(${JSON.stringify(path.join(root, 'src/search'))} + '/' + f);
    if (!strategyNames().includes('nars')) throw new Error('no nars plug-in');
    const loaded = Object.keys(require.cache).filter((f) => /[\\/]engine[\\/]|[\\/]nn[\\/]|predictor|\\.node$/.test(f));
    console.log(JSON.stringify(loaded));
  `,
  ]).toString();
  assert.deepEqual(JSON.parse(out), []);
});
