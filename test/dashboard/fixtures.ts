// A store for the dashboard's tests and benchmark: studies run through the library (random and
// evolution strategies, the synthetic evaluator, a made-up latency table), and a Chromium to look with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runStudy } from '../../src/search/runStudy';
import { loadSpace } from '../../src/space/registry';
import { fakeLatencyTable } from '../helpers/fakeTable';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Two finished studies in `dir`/store.db ('one': random, 'two': evolution), both with latency from a table. */
export async function makeStore(
  dir: string,
  o: { one?: number; two?: number } = {},
): Promise<{ store: string; lut: string }> {
  const lut = path.join(dir, 'fbnet-s.lut.json');
  fs.writeFileSync(lut, JSON.stringify(await fakeLatencyTable(loadSpace('fbnet-s'), undefined, 50)));
  const store = path.join(dir, 'store.db');
  await runStudy({
    config: { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', trials: o.one ?? 12, study: 'one', lut },
    store,
  });
  await runStudy({
    config: { strategy: 'evolution', space: 'fbnet-s', evaluator: 'synthetic', trials: o.two ?? 16, study: 'two', lut },
    store,
  });
  return { store, lut };
}

/** Debian's Chromium, headless (tests skip where it is not installed). */
export async function launchChromium() {
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
