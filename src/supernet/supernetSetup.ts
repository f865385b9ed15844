// What a supernet search's `prepare` starts with, whatever its method (DNAS, SPOS/ABS, NSE): the
// supernet's input shape and classes from the study's training images (not the space's default
// input), the per-candidate costs its penalty or bins use (MACs, or a latency table's
// microseconds at that input) and the layout over the space at that input. The latency table is the
// one the study's set-up read (searches read it once). No engine here.
import type { DataSource } from '../data/imageSet';
import type { LatencyTable } from '../latency/latencyTable';
import type { Space } from '../space/types';
import { flopsCandidateCosts, type CandidateCosts } from './candidateCosts';
import { latencyCandidateCosts } from './latencyCosts';
import { supernetLayout, type SupernetLayout } from './layout';
import { MissingLatencyTableError } from '../cost/missingLatencyTable';

export interface SupernetSetup {
  /** CxHxW of the training images. */
  input: [number, number, number];
  classes: number;
  layout: SupernetLayout;
  costs: CandidateCosts;
  /** The study's latency table, or null. */
  table: LatencyTable | null;
}

export interface SupernetSetupOptions {
  space: Space;
  data: DataSource;
  /** The resource the costs measure: MACs, or the latency table's per-op time. */
  cost: 'flops' | 'latency';
  /** The study's latency table (needed for cost 'latency'). */
  table?: LatencyTable | null;
  /** The MACs' costs (default in MMAC; a method whose costs must stay above a floor picks its unit). */
  flopsCosts?: (space: Space, input: [number, number, number], classes: number) => CandidateCosts;
}

export function supernetSetup(o: SupernetSetupOptions): SupernetSetup {
  const set = o.data.train;
  const input: [number, number, number] = [set.channels, set.height, set.width];
  const classes = set.classes;
  const table = o.table ?? null;
  if (o.cost === 'latency' && !table)
    throw new MissingLatencyTableError('a latency cost', { space: o.space.name, input: input.join('x') });
  const flops = o.flopsCosts ?? ((s, i, c) => flopsCandidateCosts(s, i, c, { unit: 'MMAC' }));
  const costs =
    o.cost === 'latency' ? latencyCandidateCosts(table!, o.space, { input, classes }) : flops(o.space, input, classes);
  return { input, classes, layout: supernetLayout(o.space, input, classes), costs, table };
}
