// Study reports: one self-contained HTML file per study (charts rendered to inline SVG in Node).
export * from './types';
export { renderStudyReport, chartFigure, tradeoffAxis, type ReportOptions } from './renderStudyReport';
export { paretoFront, type Direction, type ParetoOptions, type Coordinate } from './pareto';
export { bestSoFar, type BestSoFarPoint } from './bestSoFar';
export { tradeoffChart, plottable, type TradeoffOptions } from './charts/tradeoff';
export { bestSoFarChart, type ProgressOptions } from './charts/progress';
export { heatmapChart, type HeatmapCell, type HeatmapOptions } from './charts/heatmap';
export { lineChart, type LineSeries, type LineOptions } from './charts/lines';
export { colorScale, sourcesOf } from './charts/colors';
export { thinPoints, type Thinned } from './charts/thin';
export { renderVegaLite, THEME, PALETTE, type RenderedChart } from './vegaSvg';
export { escapeHtml } from './escape';
export { metricScale, formatMetric, type MetricScale } from './metricScale';
export {
  candidatesTable,
  failedTrialsDetails,
  rankTrials,
  tableColumns,
  type TableColumns,
  type CandidatesTableOptions,
} from './candidatesTable';
export { formatDate, formatDuration } from './time';
export { learningCurvesChart, curveMetric, CURVE_METRICS, type LearningCurvesOptions } from './charts/learningCurves';
export { opFrequencyChart, choiceDims, type OpFrequencyOptions } from './charts/opFrequency';
export { parallelCoordinatesChart, type ParallelCoordinatesOptions } from './charts/parallelCoordinates';
export { INTEGER_AXIS } from './charts/axes';
export { hoverArch } from './charts/hoverArch';
export { formatCount, formatLatencyUs, formatPercent, formatPlain, formatValue, MISSING } from './formatNumber';
