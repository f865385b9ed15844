// The data a study report is made from. The study store builds it (`tsnas study report`);
// searches that add their own views (e.g. FBNet's per-layer distributions) pass `sections`,
// and a comparison study's trials (e.g. the random-search baseline) go in `baseline`.
// Times are milliseconds since the epoch; metrics that are unknown are simply absent.

export interface ReportTrial {
  number: number;
  state: 'running' | 'complete' | 'failed' | 'pruned';
  arch: string;
  source: string | null;
  metrics: Record<string, number>; /* accuracy, testAcc, flops, params, latencyUs when known */
  epochs: Array<Record<string, number>>;
  startedAt: number | null;
  finishedAt: number | null;
  /* ms since epoch */ error: string | null;
  /**
   * The architecture's choices, dimension by dimension in the space's order (e.g. `layer3` ->
   * `ir_k5_e6`), when the study's space could read it: the op-frequency and parallel-coordinates
   * charts are drawn from them.
   */
  choices?: Record<string, string>;
}
export interface ReportSection {
  title: string;
  html?: string;
  charts?: object[] /* Vega-Lite specs */;
}
/**
 * A network measured outside the study's trials and drawn on the main trade-off chart as a labelled
 * mark, e.g. the search's result and a reference architecture after a final training: its
 * objective value (`metrics[objective]`, e.g. a test accuracy after a longer training, said in
 * `note`) against the same costs as the trials.
 */
export interface ReportMark {
  label: string;
  kind: 'result' | 'reference';
  metrics: Record<string, number>;
  arch: string;
}
export interface ReportData {
  study: {
    name: string;
    strategy: string;
    space: string;
    evaluator: string;
    objective: { metric: string; direction: 'maximize' | 'minimize' };
    constraints: string[];
    createdAt: number;
    seed: number;
    config: Record<string, unknown>;
  };
  trials: ReportTrial[];
  sections?: ReportSection[];
  baseline?: ReportTrial[];
  /**
   * What a reader must know before reading on (e.g. that every trial sits at chance level): shown
   * as the report's first lines.
   */
  warnings?: string[];
  /** Networks drawn as labelled marks on the main trade-off chart, and what their y value is. */
  marks?: { note: string[]; networks: ReportMark[] };
}
