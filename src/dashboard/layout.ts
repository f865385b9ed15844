// The page around every dashboard view: the report's styles plus the dashboard's, one script, both
// served by the dashboard itself (no CDN: it works offline), and a bar naming the store.
import { escapeHtml } from '../report/escape';
import { CSS as REPORT_CSS } from '../report/page';

export const ASSET_CSS = '/assets/dashboard.css';
export const ASSET_JS = '/assets/dashboard.js';

export const DASHBOARD_CSS = `${REPORT_CSS}
body > nav.bar { background: #24292f; color: #fff; padding: 8px 28px; font-size: 13.5px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
nav.bar a { color: #fff; text-decoration: none; font-weight: 600; }
nav.bar a:hover { text-decoration: underline; }
nav.bar .store { color: #c9d1d9; overflow-wrap: anywhere; }
nav.bar .live { margin-left: auto; font-size: 12px; color: #c9d1d9; }
nav.bar .live.on::before { content: "●"; color: #3fb950; margin-right: 5px; }
nav.bar .live.off::before { content: "●"; color: #d29922; margin-right: 5px; }
a { color: var(--accent); }
.grid-controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 8px 0; font-size: 13px; }
.grid-controls input[type=search] { min-width: 24ch; padding: 3px 6px; }
.grid-controls button, .grid-controls select { padding: 2px 8px; }
table.grid th[data-sort] { cursor: pointer; }
table.grid th[aria-sort=ascending]::after { content: " ▲"; font-size: 10px; }
table.grid th[aria-sort=descending]::after { content: " ▼"; font-size: 10px; }
table.grid td.arch { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
.share { display: inline-block; height: 9px; background: var(--accent); border-radius: 2px; vertical-align: 0; margin-right: 6px; }
.share.lat { background: #e45756; }
td.bar { min-width: 150px; white-space: nowrap; }
.studies td.name a { font-weight: 600; }
form.compare label { margin-right: 14px; white-space: nowrap; }
.err404 { border-left: 4px solid #cf222e; padding: 10px 14px; background: #fbeaea; }
`;

export interface PageOptions {
  title: string;
  store: string;
  /** data-* attributes of <body> the script reads (the page kind, the study, its event stream). */
  data?: Record<string, string>;
}

export function dashboardPage(o: PageOptions, body: string): string {
  const attrs = Object.entries(o.data ?? {})
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tsnas dashboard">
<title>${escapeHtml(o.title)} · tsnas dashboard</title>
<link rel="stylesheet" href="${ASSET_CSS}">
<script src="${ASSET_JS}" defer></script>
</head>
<body${attrs}>
<nav class="bar"><a href="/">tsnas dashboard</a><a href="/compare">compare</a><span class="store">${escapeHtml(o.store)}</span><span class="live" id="live"></span></nav>
<main>
${body}
</main>
</body>
</html>
`;
}

/** A 404 page: what was asked for, and what there is. */
export function notFoundPage(store: string, what: string, there: string): string {
  return dashboardPage(
    { title: 'Not found', store },
    `<h1>Not found</h1><p class="err404">${escapeHtml(what)}</p><p>${there}</p><p><a href="/">All studies of the store</a></p>`,
  );
}
