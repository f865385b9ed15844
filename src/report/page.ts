// The page around the charts and tables: one HTML document with its own CSS, no scripts, no
// external resources, so the file can be mailed, archived or opened offline.
import { escapeHtml } from './escape';

export const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #616a73; --line: #e3e6ea; --accent: #1f5fa8; --bg-soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 2px; font-weight: 650; overflow-wrap: anywhere; }
h1 .kind { color: var(--muted); font-weight: 400; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); font-weight: 620; }
.lede { color: var(--muted); margin: 0 0 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 0 0 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.state { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12.5px; margin-right: 4px; background: var(--bg-soft); border: 1px solid var(--line); }
.state.complete { background: #e8f4ea; border-color: #b7dcbf; }
.state.failed { background: #fbeaea; border-color: #efc0c0; }
.state.pruned { background: #fdf4e3; border-color: #ecd9ac; }
.state.running { background: #e9f0fb; border-color: #bcd0ef; }
.warnings { margin: 0 0 12px; }
p.warning { margin: 0 0 6px; padding: 8px 12px; border: 1px solid #e7b95a; border-left: 4px solid #d08a00; background: #fff6e0; border-radius: 4px; color: #5c3d00; font-weight: 600; }
.best { border: 1px solid var(--line); border-left: 4px solid var(--accent); background: var(--bg-soft); padding: 10px 14px; border-radius: 4px; margin: 8px 0 6px; }
.best .headline { font-size: 16px; }
.best .headline strong { font-size: 18px; }
.best code { display: block; margin-top: 4px; }
nav.toc { font-size: 13px; margin: 8px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; }
nav.toc a:hover { text-decoration: underline; }
.charts { display: flex; flex-wrap: wrap; gap: 14px 18px; align-items: flex-start; }
figure.chart { margin: 0; max-width: 100%; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
.chart-error { border: 1px solid #efc0c0; background: #fbeaea; padding: 8px 12px; border-radius: 4px; white-space: pre-wrap; }
p.empty { color: var(--muted); font-style: italic; border: 1px dashed var(--line); padding: 14px; border-radius: 4px; }
p.note { color: var(--muted); font-size: 13px; margin: 6px 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; white-space: nowrap; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.objective { font-weight: 650; }
tbody tr:nth-child(even) { background: #fbfcfd; }
tbody tr:hover { background: #f1f5fb; }
td.arch { min-width: 32ch; max-width: 60ch; }
td.arch code, .best code { overflow-wrap: anywhere; word-break: break-all; color: #24292f; }
.badge { display: inline-block; font-size: 10.5px; padding: 0 5px; border-radius: 8px; background: #222; color: #fff; vertical-align: 1px; }
details { margin: 12px 0; }
details > summary { cursor: pointer; color: var(--accent); }
pre.error { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; color: #8a1f1f; max-height: 14em; overflow: auto; }
pre.config { background: var(--bg-soft); padding: 10px; border-radius: 4px; overflow: auto; max-height: 30em; }
.section-html { margin: 0 0 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
`;

export function pageHtml(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tsnas report">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
