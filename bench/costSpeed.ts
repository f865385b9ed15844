// How many architectures per second the analytic cost models handle (decode + FLOPs + params),
// per built-in space. Run: npx tsc -p tsconfig.json && node dist/bench/costSpeed.js [seconds]
import { BUILTIN_SPACES, loadSpace } from '../src/space';
import { archCost } from '../src/cost';
import { sampleUniformN } from '../src/arch';
import { formatArch, parseArch } from '../src/space/archFormat';

const seconds = Number(process.argv[2] ?? 1);
for (const name of BUILTIN_SPACES) {
  const space = loadSpace(name);
  const archs = sampleUniformN(space, 1000, 1);
  let sink = 0;
  for (const a of archs) sink += archCost(space, a).flops; // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const a of archs) sink += archCost(space, a).flops;
    n += archs.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  // Parsing the string form as well (the CLI's path).
  const strings = archs.map((a) => formatArch(space, a));
  const t1 = process.hrtime.bigint();
  for (const s of strings) sink += archCost(space, parseArch(space, s)).params;
  const parseRate = strings.length / (Number(process.hrtime.bigint() - t1) / 1e9);
  console.log(
    `${name.padEnd(12)} ${Math.round(n / elapsed)
      .toLocaleString('en-US')
      .padStart(10)} archs/s (cost of an Arch), ` +
      `${Math.round(parseRate).toLocaleString('en-US').padStart(10)} archs/s (parse string + cost)${sink < 0 ? '!' : ''}`,
  );
}
