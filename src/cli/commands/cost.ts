// tsnas cost <space> [<arch>...]: FLOPs (MACs), parameters and, with a latency table, latency.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { archFromJSON, formatArch } from '../../space/archFormat';
import { costBreakdown, netCost } from '../../cost';
import { checkTableFor, predictLatencyBreakdown, readLatencyTable, type LatencyTable } from '../../latency';
import { decode, loadSpace, namedArchitectures, resolveArchitecture, type Arch, type Space } from '../../space';
import { fmtMacs, parseInputArg, textTable } from './space';

/**
 * The space a user named: a built-in name or a space file. A registered architecture name in its
 * place (`tsnas cost fbnet-a`) stands for its own space and itself.
 */
export function openSpaceOrArch(text: string): { space: Space; arch?: string } {
  try {
    return { space: loadSpace(text) };
  } catch (err) {
    const named = namedArchitectures().find((a) => a.name === text);
    if (named) return { space: loadSpace(named.space), arch: named.name };
    throw err;
  }
}

/** An architecture as a user wrote it: a registered name, a compact string, choice indices, or the JSON form. */
export function resolveArchText(space: Space, text: string): { arch: Arch; name?: string } {
  if (text.trim().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`architecture '${text}' looks like JSON but does not parse: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { arch: archFromJSON(space, json) };
  }
  try {
    const r = resolveArchitecture(text, space);
    return { arch: r.arch, ...(r.name ? { name: r.name } : {}) };
  } catch (err) {
    const names = Object.keys(space.architectures);
    const msg = (err as Error).message;
    if (/belongs to space/.test(msg)) throw err;
    throw new Error(
      `unknown architecture '${text}' for space '${space.name}': not a registered name` +
        `${names.length ? ` (${names.join(', ')})` : ''} and not an architecture of the space: ${msg}`,
      { cause: err },
    );
  }
}

function readStdinLines(): string[] {
  return fs
    .readFileSync(0, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export interface CostRow {
  space: string;
  arch: string;
  name?: string;
  input: string;
  flops: number;
  params: number;
  latencyUs?: number;
  layers?: {
    name: string;
    op: string;
    input: string;
    output: string;
    stride: number;
    flops: number;
    params: number;
    latencyUs?: number;
  }[];
}

export function costOf(
  space: Space,
  arch: Arch,
  o: { input?: [number, number, number]; table?: LatencyTable; layers?: boolean; name?: string },
): CostRow {
  const d = decode(space, arch, o.input ? { input: o.input } : {});
  const c = netCost(d);
  const row: CostRow = {
    space: space.name,
    arch: formatArch(space, arch),
    ...(o.name ? { name: o.name } : {}),
    input: d.input.join('x'),
    flops: c.flops,
    params: c.params,
  };
  const lat = o.table ? predictLatencyBreakdown(o.table, space, arch) : undefined;
  if (lat) row.latencyUs = Math.round(lat.totalUs * 10) / 10;
  if (o.layers) {
    row.layers = costBreakdown(d).map((r, i) => ({
      name: r.name,
      op: r.op,
      input: r.input.join('x'),
      output: r.output.join('x'),
      stride: r.stride,
      flops: r.flops,
      params: r.params,
      ...(lat ? { latencyUs: lat.layers[i]!.us } : {}),
    }));
  }
  return row;
}

const fmtUs = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} us`);

export function registerCost(program: Command): void {
  program
    .command('cost <space> [arch...]')
    .description(
      'FLOPs (MACs), parameters and, with --lut, predicted latency of architectures. <space>: a built-in name or a space file ' +
        '(or a registered architecture name such as fbnet-a); [arch...]: registered names, canonical strings, choice indices, JSON, or - to read lines from stdin; ' +
        'none for a space with a single architecture',
    )
    .option('--input <CxHxW>', "input shape (default: the space's)", parseInputArg)
    .option('--lut <file>', 'latency table (from tsnas lut build) to predict latency with')
    .option('--layers', 'per-layer breakdown')
    .option('--json', 'one JSON object per architecture per line: {"arch", "flops", "params"[, "latencyUs"]}')
    .action((spaceText: string, archTexts: string[], o) => {
      const { space, arch: impliedArch } = openSpaceOrArch(spaceText);
      let texts = archTexts.flatMap((t) => (t === '-' ? readStdinLines() : [t]));
      if (impliedArch) texts = [impliedArch, ...texts];
      const table = o.lut ? readLatencyTable(o.lut) : undefined;
      if (table)
        checkTableFor(table, space, {
          file: o.lut,
          input: o.input ?? (table.input ? ([...space.input] as [number, number, number]) : null),
        });
      const archs: { arch: Arch; name?: string }[] = texts.length
        ? texts.map((t) => resolveArchText(space, t))
        : (() => {
            if (space.searchDims.length) {
              const names = Object.keys(space.architectures);
              throw new Error(
                `space '${space.name}' has many architectures; name one or more: ${names.length ? `${names.join(', ')}, ` : ''}` +
                  `a canonical string, or choice indices (try: npx tsnas space sample ${spaceText})`,
              );
            }
            const r = resolveArchitecture(undefined, space);
            return [{ arch: r.arch, name: Object.keys(space.architectures)[0] ?? space.name }];
          })();
      const rows = archs.map((a) =>
        costOf(space, a.arch, { input: o.input, table, layers: !!o.layers, ...(a.name ? { name: a.name } : {}) }),
      );
      if (o.json) {
        for (const r of rows) console.log(JSON.stringify(r));
        return;
      }
      const input = rows[0]?.input ?? space.input.join('x');
      // Costs scale with the input: say which one these are for when nobody chose it (a network
      // trained on 1x28x28 Fashion-MNIST costs 8.87M MACs where the space's 3x32x32 gives 11.22M).
      const assumed =
        o.input || table?.input
          ? ''
          : " (the space's; --input CxHxW for a data set of another shape, e.g. 1x28x28 for Fashion-MNIST)";
      console.log(
        `space ${space.name}, input ${input}${assumed}` +
          (table
            ? `, latency from ${o.lut} (${table.target.name}: ${table.target.runtime} ${table.target.version}, ` +
              `${table.target.threads} thread(s), ${table.target.machine.cpu}; includes overhead ${table.overheadUs.toFixed(0)} us)`
            : ''),
      );
      console.log(
        textTable([
          ['MACs', 'params', ...(table ? ['latency'] : []), 'architecture'],
          ...rows.map((r) => [
            fmtMacs(r.flops),
            r.params.toLocaleString('en-US'),
            ...(r.latencyUs !== undefined ? [fmtUs(r.latencyUs)] : []),
            r.name ?? (r.arch || space.name),
          ]),
        ]),
      );
      if (o.layers) {
        for (const r of rows) {
          console.log(`\n${r.name ?? r.arch}:`);
          console.log(
            textTable([
              ['  layer', 'op', 'input', 'output', 's', 'MACs', 'params', ...(table ? ['latency'] : [])],
              ...r.layers!.map((l) => [
                `  ${l.name}`,
                l.op,
                l.input,
                l.output,
                String(l.stride),
                fmtMacs(l.flops),
                l.params.toLocaleString('en-US'),
                ...(l.latencyUs !== undefined ? [fmtUs(l.latencyUs)] : []),
              ]),
            ]),
          );
        }
      }
    });
}
