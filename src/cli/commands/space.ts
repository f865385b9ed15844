// tsnas space list | show <space> | sample <space>: the built-in spaces and space files.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { sampleSobol, sampleUniformN, spaceSize } from '../../arch';
import { acceptsIndices, archToJSON, defaultArch, formatArch, formatIndices, parseArch } from '../../space/archFormat';
import { archCost, costBreakdown } from '../../cost';
import { BUILTIN_SPACES, decode, loadSpace, parseInputShape, type Dim, type Space } from '../../space';
import { positiveInt, seedOption } from '../options';

/** How a dimension's values read in a listing: all of a short list, the ends of a long one. */
export function describeValues(d: Dim): string {
  const v = d.values.map(String);
  if (d.encoding === 'scalar') return `${v[0]}..${v[v.length - 1]} (${v.length} values)`;
  return v.length <= 12 ? v.join(' ') : `${v.slice(0, 5).join(' ')} ... ${v.slice(-2).join(' ')} (${v.length} values)`;
}

const fmtCount = (n: number) => (n < 1e12 ? n.toLocaleString('en-US') : n.toExponential(2));
export const fmtMacs = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
export { table as textTable };

function summary(space: Space) {
  const size = spaceSize(space);
  return {
    name: space.name,
    style: space.style,
    description: space.description,
    ...(space.file ? { file: space.file } : {}),
    input: space.input.join('x'),
    searchesResolution: space.dims.some((d) => d.key === 'resolution' && d.values.length > 1),
    classes: space.source.classes,
    searched: space.searchDims.length,
    size: size.exact.toString(),
    log10Size: Math.round(size.log10 * 100) / 100,
    architectures: Object.keys(space.architectures),
  };
}

export function registerSpace(program: Command): void {
  const space = program.command('space').description('search spaces: list, show, sample');

  space
    .command('list')
    .description('the built-in spaces')
    .option('--json', 'print a JSON array')
    .action((o) => {
      const all = BUILTIN_SPACES.map((n) => summary(loadSpace(n)));
      if (o.json) {
        console.log(JSON.stringify(all));
        return;
      }
      console.log(
        table([
          ['space', 'style', 'input', 'searched', 'size', 'named architectures'],
          ...all.map((s) => [
            s.name,
            s.style,
            s.searchesResolution ? 'searched' : s.input,
            String(s.searched),
            fmtCount(Number(s.size)),
            s.architectures.join(', ') || '-',
          ]),
        ]),
      );
      console.log('\nA space file (YAML or JSON, see docs/spaces.md) works wherever a space name does.');
    });

  space
    .command('show <space>')
    .description('a space: its layers, searched choices and named architectures (a built-in name or a space file)')
    .option('--json', 'print JSON')
    .action((name: string, o) => {
      const sp = loadSpace(name);
      const info = summary(sp);
      const dims = sp.dims.map((d) => ({ key: d.key, values: d.values, searched: d.values.length > 1 }));
      const named = Object.entries(sp.architectures).map(([n, a]) => {
        const c = archCost(sp, parseArch(sp, a));
        return { name: n, arch: a, flops: c.flops, params: c.params };
      });
      if (o.json) {
        console.log(JSON.stringify({ ...info, dims, namedArchitectures: named }));
        return;
      }
      console.log(`${sp.name} (${sp.style}): ${sp.description}`);
      if (sp.file) console.log(`file: ${sp.file}`);
      console.log(
        `input ${info.searchesResolution ? 'resolution searched' : `${info.input} (any CxHxW with --input)`}, ${info.classes} classes, ` +
          `e = 1 reading: ${sp.source.e1FirstConv} the first 1x1 conv`,
      );
      const size = spaceSize(sp);
      console.log(
        `size: ${size.exact < 10n ** 15n ? Number(size.exact).toLocaleString('en-US') : `1e${size.log10.toFixed(2)}`} architectures, ${sp.searchDims.length} searched choices`,
      );
      if (sp.style === 'layerwise') {
        const d = decode(sp, defaultArch(sp));
        const rows = costBreakdown(d);
        const byLayer = new Map<string, Dim>();
        let n = 0;
        for (const st of d.stages) {
          for (const l of st) {
            const key = `layer${++n}`;
            byLayer.set(
              l.name,
              sp.dims.find((x) => x.key === key)!,
            );
          }
        }
        byLayer.set(
          'head',
          sp.dims.find((x) => x.key === 'head.channels')!,
        );
        console.log('\nlayers:');
        console.log(
          table([
            ['  layer', 'input', 'output', 'stride', 'choice'],
            ...rows.map((r) => {
              const dim = byLayer.get(r.name);
              const choice = !dim
                ? r.op
                : dim.key === 'head.channels'
                  ? `${r.op}, channels ${describeValues(dim)}`
                  : `${dim.key}: ${describeValues(dim)}`;
              return [`  ${r.name}`, r.input.join('x'), r.output.join('x'), String(r.stride), choice];
            }),
          ]),
        );
      } else {
        console.log('\nchoices:');
        console.log(table([['  dimension', 'values'], ...sp.dims.map((x) => [`  ${x.key}`, describeValues(x)])]));
      }
      if (named.length) {
        console.log('\nnamed architectures:');
        console.log(
          table(
            named.map((a) => [
              `  ${a.name}`,
              `${fmtMacs(a.flops)} MACs`,
              `${fmtMacs(a.params)} params`,
              a.arch || '(the only one)',
            ]),
          ),
        );
      }
    });

  space
    .command('sample <space>')
    .description('random architectures of a space, one canonical string per line')
    .option('-n, --n <n>', 'how many', positiveInt('-n'), 10)
    .option('--qmc', 'scrambled Sobol (quasi-Monte-Carlo) instead of uniform')
    .option('--seed <s>', 'random seed', seedOption('--seed'), 0)
    .option('--json', 'one JSON object per line: {"arch", "indices", "values"}')
    .action((name: string, o) => {
      const sp = loadSpace(name);
      if (!sp.searchDims.length) {
        process.stderr.write(
          `space '${sp.name}' has a single architecture: nothing to sample (its cost: npx tsnas cost ${name})\n`,
        );
        return;
      }
      const archs = o.qmc ? sampleSobol(sp, o.n, { seed: o.seed }) : sampleUniformN(sp, o.n, o.seed);
      for (const a of archs) {
        if (o.json) {
          console.log(
            JSON.stringify({
              arch: formatArch(sp, a),
              ...(acceptsIndices(sp, a) ? { indices: formatIndices(sp, a) } : {}),
              values: archToJSON(sp, a).values,
            }),
          );
        } else {
          console.log(formatArch(sp, a));
        }
      }
    });
}

/** Commander parser for --input CxHxW. */
export function parseInputArg(v: string): [number, number, number] {
  try {
    return parseInputShape(v);
  } catch (err) {
    throw new InvalidArgumentError(`--input: ${(err as Error).message}`);
  }
}
