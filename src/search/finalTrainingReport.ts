// The report's view of a final training: the recipe, a table of the networks (the result and the
// references: test accuracy, table and measured latency, MACs, parameters, epochs) and the
// result stated against each reference. Plain HTML from the stored state.
import { formatCount, formatLatencyUs, formatPercent } from '../report/formatNumber';
import { escapeHtml as esc } from '../report/escape';
import type { ReportSection } from '../report/types';
import type { FinalTrainingState } from './finalTraining';

export function finalTrainingSection(s: FinalTrainingState): ReportSection {
  const pct = (v: number | null) => formatPercent(v);
  const rows = s.networks
    .map(
      (n) =>
        `<tr class="${n.role}"><td>${esc(n.name)}</td><td>${pct(n.testAcc)}</td><td>${formatLatencyUs(n.tableLatencyUs)}</td>` +
        `<td>${formatLatencyUs(n.measuredLatencyUs)}</td><td>${formatCount(n.flops)}</td>` +
        `<td>${formatCount(n.params)}</td><td>${n.epochs}</td><td>${pct(n.searchValAcc)}</td><td><code>${esc(n.arch)}</code></td></tr>`,
    )
    .join('');
  const verdicts = s.comparisons
    .map((c) => `<li><strong>${esc(c.text)}</strong><br><span class="note">${esc(c.measuredText)}</span></li>`)
    .join('');
  return {
    title: 'Final training: the result against the references',
    html:
      `<p>Each network trained with the same final recipe: ${esc(s.recipe)}.</p>` +
      (verdicts ? `<ul class="verdicts">${verdicts}</ul>` : '') +
      `<table id="final-networks"><thead><tr><th>network</th><th>test accuracy</th><th>table latency</th><th>measured latency</th>` +
      `<th>MACs</th><th>params</th><th>epochs</th><th>validation accuracy in the search</th><th>architecture</th></tr></thead><tbody>${rows}</tbody></table>` +
      (s.networks[0]?.measuredWith ? `<p class="note">Measured: ${esc(s.networks[0].measuredWith)}.</p>` : ''),
  };
}
