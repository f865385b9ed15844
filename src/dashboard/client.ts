// The dashboard's one script, served at /assets/dashboard.js (no CDN, no build step): it listens
// to the server's events and fetches again the parts of the page marked data-live-src, and it
// draws the trial grid from the server's pages of rows. Rows are put in with textContent only.
export const CLIENT_JS = String.raw`'use strict';
(function () {
  var body = document.body;
  var live = document.getElementById('live');
  var busy = false, again = false;
  function setLive(on, text) { if (!live) return; live.className = 'live ' + (on ? 'on' : 'off'); live.textContent = text; }

  async function refreshParts() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        if (grid) await grid.load();
        var parts = document.querySelectorAll('[data-live-src]');
        for (var i = 0; i < parts.length; i++) {
          var el = parts[i];
          var r = await fetch(el.getAttribute('data-live-src'), { credentials: 'same-origin', cache: 'no-store' });
          if (r.ok) el.innerHTML = await r.text();
        }
      } while (again);
    } finally { busy = false; }
  }

  var events = body.getAttribute('data-events');
  if (events && window.EventSource) {
    var since = body.getAttribute('data-version');
    var es = new EventSource(events + (since ? (events.indexOf('?') < 0 ? '?' : '&') + 'since=' + since : ''));
    es.addEventListener('open', function () { setLive(true, 'live'); });
    es.addEventListener('error', function () { setLive(false, 'reconnecting…'); });
    es.addEventListener('change', function (e) {
      var d = JSON.parse(e.data);
      setLive(true, 'live · updated ' + new Date().toLocaleTimeString());
      refreshParts().then(function () { body.setAttribute('data-version', String(d.version)); });
    });
  }

  // ---- the trial grid -------------------------------------------------------------------
  var grid = null;
  var host = document.getElementById('grid');
  var src = body.getAttribute('data-grid');
  if (host && src) grid = makeGrid(host, src, body.getAttribute('data-study'));

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function makeGrid(host, src, study) {
    var q = { offset: 0, limit: 50, sort: 'number', dir: 'desc', state: '', q: '' };
    host.textContent = '';
    var controls = el('div', { class: 'grid-controls' });
    var search = el('input', { type: 'search', placeholder: 'filter: architecture, source, error', 'aria-label': 'filter', id: 'grid-filter' });
    var state = el('select', { 'aria-label': 'state', id: 'grid-state' });
    ['', 'complete', 'running', 'failed', 'pruned'].forEach(function (s) { state.appendChild(el('option', { value: s }, s || 'any state')); });
    var size = el('select', { 'aria-label': 'rows per page', id: 'grid-size' });
    [25, 50, 100, 250].forEach(function (n) { var o = el('option', { value: String(n) }, n + ' rows'); if (n === 50) o.selected = true; size.appendChild(o); });
    var prev = el('button', { type: 'button', id: 'grid-prev' }, '‹ previous');
    var next = el('button', { type: 'button', id: 'grid-next' }, 'next ›');
    var info = el('span', { class: 'note', id: 'grid-info' });
    [search, state, size, prev, next, info].forEach(function (c) { controls.appendChild(c); });
    var wrap = el('div', { class: 'table-wrap' });
    var table = el('table', { class: 'grid', id: 'trial-grid' });
    var thead = el('thead'); var tbody = el('tbody');
    table.appendChild(thead); table.appendChild(tbody); wrap.appendChild(table);
    host.appendChild(controls); host.appendChild(wrap);
    var timer = null;
    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { q.q = search.value; q.offset = 0; load(); }, 200); });
    state.addEventListener('change', function () { q.state = state.value; q.offset = 0; load(); });
    size.addEventListener('change', function () { q.limit = Number(size.value); q.offset = 0; load(); });
    prev.addEventListener('click', function () { q.offset = Math.max(0, q.offset - q.limit); load(); });
    next.addEventListener('click', function () { q.offset += q.limit; load(); });
    var seq = 0;
    async function load() {
      var mine = ++seq;
      var url = src + '?' + new URLSearchParams({ offset: String(q.offset), limit: String(q.limit), sort: q.sort, dir: q.dir, state: q.state, q: q.q }).toString();
      var r = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (!r.ok || mine !== seq) return;
      var page = await r.json();
      draw(page);
    }
    function draw(page) {
      thead.textContent = '';
      var tr = el('tr');
      page.columns.forEach(function (c) {
        var th = el('th', { 'data-sort': c.key, class: c.numeric ? 'num' : '' }, c.title);
        if (c.key === 'arch') th.removeAttribute('data-sort');
        if (c.key === q.sort) th.setAttribute('aria-sort', q.dir === 'asc' ? 'ascending' : 'descending');
        th.addEventListener('click', function () {
          if (c.key === 'arch') return;
          if (q.sort === c.key) q.dir = q.dir === 'asc' ? 'desc' : 'asc'; else { q.sort = c.key; q.dir = c.numeric ? 'desc' : 'asc'; }
          q.offset = 0; load();
        });
        tr.appendChild(th);
      });
      thead.appendChild(tr);
      var rows = document.createDocumentFragment();
      page.rows.forEach(function (row) {
        var r = el('tr', { 'data-trial': String(row.number), 'data-state': row.state });
        row.cells.forEach(function (text, i) {
          var c = page.columns[i];
          var td = el('td', { class: c.key === 'arch' ? 'arch' : c.numeric ? 'num' : '' });
          if (c.key === 'number') {
            td.appendChild(el('a', { href: '/study/' + encodeURIComponent(study) + '/trial/' + row.number }, text));
          } else if (c.key === 'state') {
            td.appendChild(el('span', { class: 'state ' + row.state }, text));
          } else td.textContent = text;
          r.appendChild(td);
        });
        rows.appendChild(r);
      });
      tbody.textContent = '';
      tbody.appendChild(rows);
      var last = Math.min(page.offset + page.rows.length, page.matched);
      info.textContent = (page.matched ? (page.offset + 1) + '–' + last : '0') + ' of ' + page.matched + (page.matched !== page.total ? ' matching (' + page.total + ' trials)' : ' trials');
      prev.disabled = page.offset === 0;
      next.disabled = last >= page.matched;
      host.setAttribute('data-matched', String(page.matched));
    }
    load();
    return { load: load };
  }
})();
`;
