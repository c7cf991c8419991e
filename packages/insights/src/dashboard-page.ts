/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * The client script. It renders every value with textContent or on a chart
 * canvas, never as markup: plugin-controlled text (ids, paths, bodies) is
 * hostile. Filters live in the URL hash so a view can be linked.
 */
const SCRIPT = String.raw`
const mount = document.body.dataset.mount;
const $ = (id) => document.getElementById(id);
const FIELDS = ['plugin', 'agent', 'path', 'status', 'level', 'since', 'payload', 'text'];
let stream = null;
let nextCursor = null;

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'className') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function hashParams() {
  return new URLSearchParams(location.hash.slice(1));
}

function filterQuery() {
  const query = new URLSearchParams();
  for (const field of FIELDS) {
    const value = $('f-' + field).value.trim();
    if (!value) continue;
    if (field === 'payload') for (const term of value.split(/\s+/)) query.append('payload', term);
    else query.set(field, value);
  }
  return query;
}

async function getJson(path, query) {
  const response = await fetch(mount + path + (query && String(query) ? '?' + query : ''), { credentials: 'same-origin' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || response.statusText);
  return body;
}

function statusClass(status) {
  return status >= 500 ? 's5' : status >= 400 ? 's4' : status === 299 ? 'sw' : 's2';
}

function rowNode(row) {
  const tr = el('tr', { 'data-id': String(row.id), tabindex: '0' }, [
    el('td', { text: new Date(row.ts).toISOString().replace('T', ' ').slice(0, 23) }),
    el('td', { text: row.pluginId }),
    el('td', { text: row.method }),
    el('td', { text: row.path, className: 'path' }),
    el('td', { text: String(row.status), className: statusClass(row.status) }),
    el('td', { text: row.durationMs.toFixed(1) + ' ms' }),
  ]);
  tr.addEventListener('click', () => openRow(row.id));
  return tr;
}

function pretty(text) {
  if (text === null || text === undefined) return '(none)';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

async function openRow(id) {
  const row = await getJson('/api/rows/' + encodeURIComponent(id));
  const list = $('detail-meta');
  list.replaceChildren();
  for (const key of ['id', 'pluginId', 'agentId', 'frame', 'slot', 'method', 'path', 'status', 'durationMs', 'level', 'model', 'requestBytes', 'responseBytes']) {
    list.append(el('dt', { text: key }), el('dd', { text: row[key] === null ? '—' : String(row[key]) }));
  }
  $('detail-request').textContent = pretty(row.requestBody);
  $('detail-response').textContent = pretty(row.responseBody);
  $('drawer').hidden = false;
  const params = hashParams();
  params.set('open', String(id));
  history.replaceState(null, '', '#' + params);
}

// Plugin ids are reverse-DNS names that differ at the end, so the tail is kept.
function short(id) {
  return id.length > 16 ? '…' + id.slice(-15) : id;
}

/**
 * A horizontal bar chart with one row per plugin and one bar per series in
 * each row. uPlot draws labels on a canvas and sets legend values as text, so
 * plugin ids never become markup.
 */
function barChart(title, ids, series, format) {
  const groupSize = 0.8;
  const barSize = groupSize / series.length;
  const figure = el('figure', {}, [el('figcaption', { text: title })]);
  const bars = (index) => uPlot.paths.bars({
    disp: {
      x0: { unit: 1, values: (u) => u.data[0].map((x) => x - groupSize / 2 + index * barSize) },
      size: { unit: 1, values: (u) => u.data[0].map(() => barSize) },
    },
  });
  const options = {
    width: 330,
    height: ids.length * (10 + 10 * series.length) + 70,
    cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
    scales: {
      x: { time: false, ori: 1, dir: -1, range: [-0.5, ids.length - 0.5] },
      y: { ori: 0, dir: 1, range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { scale: 'x', side: 3, size: 116, gap: 4, grid: { show: false }, ticks: { show: false }, splits: () => ids.map((_, index) => index), values: (u, splits) => splits.map((index) => short(ids[index])) },
      { scale: 'y', side: 2, size: 32, space: 64, values: (u, splits) => splits.map(format) },
    ],
    series: [
      { label: 'plugin', value: (u, index) => (index == null ? '—' : ids[index]) },
      ...series.map((entry, index) => ({
        label: entry.label, fill: entry.color, stroke: entry.color, width: 0,
        paths: bars(index), points: { show: false },
        value: (u, value) => (value == null ? '—' : format(value)),
      })),
    ],
  };
  const plot = new uPlot(options, [ids.map((_, index) => index), ...series.map((entry) => entry.values)], figure);
  return { figure, plot };
}

function chartSpecs(stats) {
  const ms = (v) => (Number.isInteger(v) || v >= 10 ? v.toFixed(0) : v.toFixed(1)) + ' ms';
  return [
    { title: 'Calls and logs per plugin', format: (v) => (Number.isInteger(v) ? String(v) : ''), series: [
      { label: 'calls', values: stats.map((s) => s.calls), color: '#0a84ff' },
      { label: 'logs', values: stats.map((s) => s.logs), color: '#8e8e93' },
    ] },
    { title: 'Error rate (status ≥ 400)', format: (v) => (v * 100).toFixed(v < 0.1 ? 1 : 0) + '%', series: [
      { label: 'errors', values: stats.map((s) => s.errorRate), color: '#ff453a' },
    ] },
    { title: 'Latency p50 / p95 / p99', format: ms, series: [
      { label: 'p50', values: stats.map((s) => s.p50Ms), color: '#0a84ff' },
      { label: 'p95', values: stats.map((s) => s.p95Ms), color: '#5e5ce6' },
      { label: 'p99', values: stats.map((s) => s.p99Ms), color: '#bf5af2' },
    ] },
  ];
}

let plots = [];
let plottedIds = '';

async function loadStats(query) {
  const stats = await getJson('/api/stats', query);
  const ids = stats.map((s) => s.pluginId);
  const specs = chartSpecs(stats);
  // Same plugins as drawn: update in place, so a live update does not reset a hovered legend.
  if (plots.length > 0 && JSON.stringify(ids) === plottedIds) {
    specs.forEach((spec, index) => plots[index].setData([ids.map((_, x) => x), ...spec.series.map((entry) => entry.values)]));
    return;
  }
  for (const plot of plots) plot.destroy();
  const charts = $('charts');
  charts.replaceChildren();
  const drawn = stats.length === 0 ? [] : specs.map((spec) => barChart(spec.title, ids, spec.series, spec.format));
  plots = drawn.map((chart) => chart.plot);
  plottedIds = JSON.stringify(ids);
  if (drawn.length === 0) charts.append(el('p', { text: 'No activity yet.' }));
  else charts.append(...drawn.map((chart) => chart.figure));
}

let statsTimer = null;

// Live rows change the charts too; they are redrawn at most once a second.
function scheduleStats(query) {
  if (statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = null;
    loadStats(query).catch((error) => { $('error').textContent = String(error.message || error); });
  }, 1000);
}

async function loadWarnings() {
  const warnings = await getJson('/api/warnings');
  $('warnings').replaceChildren(...warnings.map((w) => el('li', {}, [el('code', { text: w.key }), el('span', { text: ' ' + w.message })])));
}

async function loadRows(append) {
  const query = filterQuery();
  if (append && nextCursor) query.set('cursor', nextCursor);
  const page = await getJson('/api/rows', query);
  const body = $('rows');
  if (!append) body.replaceChildren();
  body.append(...page.rows.map(rowNode));
  nextCursor = page.nextCursor;
  $('more').hidden = nextCursor === null;
  return page.latestId;
}

function follow(after) {
  if (stream) stream.close();
  clearTimeout(statsTimer);
  statsTimer = null;
  const query = filterQuery();
  query.set('after', String(after));
  stream = new EventSource(mount + '/api/stream?' + query);
  const statsQuery = filterQuery();
  stream.addEventListener('rows', (event) => {
    const rows = JSON.parse(event.data);
    const body = $('rows');
    for (const row of rows) body.prepend(rowNode(row));
    scheduleStats(statsQuery);
    $('live').textContent = 'live · ' + new Date().toLocaleTimeString();
  });
  stream.onopen = () => { $('live').textContent = 'live'; };
  stream.onerror = () => { $('live').textContent = 'reconnecting…'; };
}

async function refresh() {
  const params = new URLSearchParams();
  for (const field of FIELDS) { const value = $('f-' + field).value.trim(); if (value) params.set(field, value); }
  const open = hashParams().get('open');
  if (open) params.set('open', open);
  history.replaceState(null, '', '#' + params);
  try {
    $('error').textContent = '';
    const latest = await loadRows(false);
    await Promise.all([loadStats(filterQuery()), loadWarnings()]);
    follow(latest);
  } catch (error) {
    $('error').textContent = String(error.message || error);
  }
}

$('filters').addEventListener('submit', (event) => { event.preventDefault(); refresh(); });
$('more').addEventListener('click', () => loadRows(true));
$('close').addEventListener('click', () => {
  $('drawer').hidden = true;
  const params = hashParams(); params.delete('open'); history.replaceState(null, '', '#' + params);
});
for (const [key, value] of hashParams()) { const input = $('f-' + key); if (input) input.value = value; }
refresh().then(() => { const open = hashParams().get('open'); if (open) openRow(open); });
`;

const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f5f5f7; }
header { display: flex; gap: 1rem; align-items: baseline; padding: .6rem 1rem; background: #1d1d1f; color: #fff; }
header h1 { font-size: 15px; margin: 0; } #live { color: #8fd18f; font-size: 12px; }
form { display: flex; flex-wrap: wrap; gap: .4rem; padding: .6rem 1rem; background: #fff; border-bottom: 1px solid #ddd; }
form input { width: 9rem; padding: .2rem .3rem; } form button { padding: .2rem .8rem; }
#charts { display: flex; flex-wrap: wrap; gap: 1rem; padding: .6rem 1rem; }
figure { margin: 0; background: #fff; padding: .5rem; border-radius: 6px; width: 340px; }
figcaption { font-weight: 600; margin-bottom: .3rem; } figure .u-legend { font-size: 11px; }
main { padding: 0 1rem 1rem; } table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eee; white-space: nowrap; }
td.path { white-space: normal; word-break: break-all; } tbody tr { cursor: pointer; } tbody tr:hover { background: #eef5ff; }
.s2 { color: #248a3d; } .sw { color: #b25000; } .s4 { color: #c93400; } .s5 { color: #d70015; font-weight: 600; }
#drawer { position: fixed; top: 0; right: 0; bottom: 0; width: min(44rem, 90vw); background: #fff; box-shadow: -4px 0 16px #0003; overflow: auto; padding: 1rem; }
#drawer pre { background: #f5f5f7; padding: .5rem; white-space: pre-wrap; word-break: break-all; max-height: 40vh; overflow: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; } dd { margin: 0; word-break: break-all; }
#error { color: #d70015; padding: 0 1rem; } #warnings code { color: #b25000; }
`;

export interface DashboardPageOptions {
  mountPath: string;
  nonce: string;
  /** Where the dashboard serves uPlot's script and stylesheet (same origin, under the mount). */
  scriptPath: string;
  stylePath: string;
}

/** The Insights page: its style and script, and uPlot's served by the dashboard itself, under a per-response CSP nonce. */
export function dashboardPage({ mountPath, nonce, scriptPath, stylePath }: DashboardPageOptions): string {
  const field = (name: string, placeholder: string) =>
    `<label>${escapeHtml(name)} <input id="f-${escapeHtml(name)}" name="${escapeHtml(name)}" placeholder="${escapeHtml(placeholder)}"></label>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Insights · Plugin activity</title>
<link nonce="${escapeHtml(nonce)}" rel="stylesheet" href="${escapeHtml(stylePath)}">
<style nonce="${escapeHtml(nonce)}">${STYLE}</style>
</head>
<body data-mount="${escapeHtml(mountPath)}">
<header><h1>Insights · Plugin activity</h1><span id="live">connecting…</span></header>
<form id="filters">
${field('plugin', 'plugin id')}
${field('agent', 'agent UUID')}
${field('path', 'method or path')}
${field('status', '404 or 400-499')}
${field('level', 'WARN,ERROR')}
${field('since', '15m, 2h, ISO time')}
${field('payload', 'key=value …')}
${field('text', 'search text')}
<button type="submit" id="apply">Filter</button>
</form>
<p id="error" role="alert"></p>
<section id="charts" aria-label="Per-plugin charts"></section>
<main>
<table>
<thead><tr><th>Time (UTC)</th><th>Plugin</th><th>Method</th><th>Path</th><th>Status</th><th>Duration</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<button type="button" id="more" hidden>Older rows</button>
<h2>One-shot warnings</h2>
<ul id="warnings"></ul>
</main>
<aside id="drawer" hidden>
<button type="button" id="close">Close</button>
<h2>Call detail</h2>
<dl id="detail-meta"></dl>
<h3>Request body</h3><pre id="detail-request"></pre>
<h3>Response body</h3><pre id="detail-response"></pre>
</aside>
<script nonce="${escapeHtml(nonce)}" src="${escapeHtml(scriptPath)}"></script>
<script nonce="${escapeHtml(nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}
