// The report's view of a final training: the recipe, the result stated against each reference (on
// the mean test accuracies, with their spread and the test of the difference), a table of the
// networks over their runs (mean and spread of the test accuracy, table and measured latency,
// MACs, parameters), a table of every run with its seed, and a chart of each run's test accuracy
// and each network's mean. Plain HTML and a chart spec from the stored state.
import { runSpreadChart } from '../report/charts/runSpread';
import { escapeHtml as esc } from '../report/escape';
import { formatCount, formatLatencyUs, formatPercent, MISSING } from '../report/formatNumber';
import type { ReportSection } from '../report/types';
import { summarizeFinalNetworks, type FinalTrainingState } from './finalTraining';

export function finalTrainingSection(s: FinalTrainingState): ReportSection {
  const pct = (v: number | null) => formatPercent(v);
  const points = (v: number | null) => (v === null ? MISSING : (v * 100).toFixed(2));
  const summaries = s.summaries ?? summarizeFinalNetworks(s.networks);
  const repeated = summaries.some((n) => n.seeds.length > 1);
  const first = (name: string) => s.networks.find((n) => n.name === name)!;
  const rows = summaries
    .map((n) => {
      const net = first(n.name);
      return (
        `<tr class="${n.role}"><td>${esc(n.name)}</td><td>${pct(n.meanTestAcc)}</td>` +
        (repeated
          ? `<td>${n.testAccs.length}</td><td>${points(n.stdTestAcc)}</td><td>${n.minTestAcc === null ? MISSING : `${points(n.minTestAcc)}-${pct(n.maxTestAcc)}`}</td>`
          : '') +
        `<td>${formatLatencyUs(n.tableLatencyUs)}</td><td>${formatLatencyUs(n.measuredLatencyUs)}</td>` +
        `<td>${formatCount(n.flops)}</td><td>${formatCount(n.params)}</td><td>${net.epochs}</td>` +
        `<td>${pct(net.searchValAcc)}</td><td><code>${esc(n.arch)}</code></td></tr>`
      );
    })
    .join('');
  const runRows = s.networks
    .map(
      (n) =>
        `<tr class="${n.role}"><td>${esc(n.name)}</td><td>${(n.replica ?? 0) + 1}</td><td>${n.seed ?? MISSING}</td>` +
        `<td>${pct(n.testAcc)}</td><td>${pct(n.trainAcc)}</td><td>${n.seconds.toFixed(0)} s</td></tr>`,
    )
    .join('');
  const verdicts = s.comparisons
    .map((c) => `<li><strong>${esc(c.text)}</strong><br><span class="note">${esc(c.measuredText)}</span></li>`)
    .join('');
  const chart = runSpreadChart(
    summaries.map((n) => ({
      name: n.name,
      values: n.testAccs.map((v) => v * 100),
      runLabels: n.seeds.map((seed, i) => (seed === null ? `run ${i + 1}` : `run ${i + 1}, seed ${seed}`)),
    })),
    {
      title: 'Test accuracy of each final run',
      subtitle: repeated
        ? 'dots: runs of different seeds; bar: the mean; line: the range'
        : 'one run each: no spread to show (`final.seeds` K trains each network K times)',
      valueTitle: 'test accuracy (%)',
    },
  );
  return {
    title: 'Final training: the result against the references',
    html:
      `<p>Each network trained with the same final recipe: ${esc(s.recipe)}.</p>` +
      (verdicts ? `<ul class="verdicts">${verdicts}</ul>` : '') +
      `<table id="final-networks"><thead><tr><th>network</th><th>${repeated ? 'mean test accuracy' : 'test accuracy'}</th>` +
      (repeated ? `<th>runs</th><th>std (points)</th><th>range</th>` : '') +
      `<th>table latency</th><th>measured latency</th>` +
      `<th>MACs</th><th>params</th><th>epochs</th><th>validation accuracy in the search</th><th>architecture</th></tr></thead><tbody>${rows}</tbody></table>` +
      `<details${repeated ? ' open' : ''}><summary>Every run and its seed</summary><table id="final-runs"><thead><tr><th>network</th><th>run</th><th>seed</th>` +
      `<th>test accuracy</th><th>training accuracy</th><th>time</th></tr></thead><tbody>${runRows}</tbody></table></details>` +
      (s.networks[0]?.measuredWith ? `<p class="note">Measured: ${esc(s.networks[0].measuredWith)}.</p>` : ''),
    charts: [chart],
  };
}
