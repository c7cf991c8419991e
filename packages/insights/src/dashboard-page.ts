/** Escapes text for HTML element content and double-quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * The client script. It renders every value with textContent or SVG text
 * nodes, never as markup: plugin-controlled text (ids, paths, bodies) is
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

function barChart(title, entries, format) {
  const svgNs = 'http://www.w3.org/2000/svg';
  const width = 320, rowHeight = 22, labelWidth = 128;
  const max = Math.max(...entries.map((entry) => entry.value), 1e-9);
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + (entries.length * rowHeight + 4));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  entries.forEach((entry, index) => {
    const y = index * rowHeight + 2;
    const label = document.createElementNS(svgNs, 'text');
    label.setAttribute('x', '0'); label.setAttribute('y', String(y + 15));
    label.textContent = entry.label;
    const bar = document.createElementNS(svgNs, 'rect');
    bar.setAttribute('x', String(labelWidth)); bar.setAttribute('y', String(y + 3));
    bar.setAttribute('height', '14');
    bar.setAttribute('width', String(Math.max(1, (width - labelWidth - 60) * entry.value / max)));
    bar.setAttribute('class', entry.className || 'bar');
    const value = document.createElementNS(svgNs, 'text');
    value.setAttribute('x', String(width - 56)); value.setAttribute('y', String(y + 15));
    value.textContent = format(entry.value);
    svg.append(label, bar, value);
  });
  return el('figure', {}, [el('figcaption', { text: title }), svg]);
}

// Plugin ids are reverse-DNS names that differ at the end, so the tail is kept.
function short(id) {
  return id.length > 14 ? '…' + id.slice(-13) : id;
}

async function loadStats(query) {
  const stats = await getJson('/api/stats', query);
  const charts = $('charts');
  charts.replaceChildren();
  if (stats.length === 0) { charts.append(el('p', { text: 'No activity yet.' })); return; }
  charts.append(
    barChart('Calls per plugin', stats.map((s) => ({ label: short(s.pluginId), value: s.calls + s.logs })), (v) => String(v)),
    barChart('Error rate (status ≥ 400)', stats.map((s) => ({ label: short(s.pluginId), value: s.errorRate, className: 'bar err' })), (v) => (v * 100).toFixed(1) + '%'),
    barChart('Latency p50 / p95 / p99', stats.flatMap((s) => [
      { label: short(s.pluginId) + ' p50', value: s.p50Ms }, { label: short(s.pluginId) + ' p95', value: s.p95Ms, className: 'bar p95' }, { label: short(s.pluginId) + ' p99', value: s.p99Ms, className: 'bar p99' },
    ]), (v) => v.toFixed(1) + ' ms'),
  );
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
  const query = filterQuery();
  query.set('after', String(after));
  stream = new EventSource(mount + '/api/stream?' + query);
  stream.addEventListener('rows', (event) => {
    const rows = JSON.parse(event.data);
    const body = $('rows');
    for (const row of rows) body.prepend(rowNode(row));
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
figcaption { font-weight: 600; margin-bottom: .3rem; } svg { width: 100%; font-size: 11px; }
.bar { fill: #0a84ff; } .bar.err { fill: #ff453a; } .bar.p95 { fill: #5e5ce6; } .bar.p99 { fill: #bf5af2; }
main { padding: 0 1rem 1rem; } table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #eee; white-space: nowrap; }
td.path { white-space: normal; word-break: break-all; } tbody tr { cursor: pointer; } tbody tr:hover { background: #eef5ff; }
.s2 { color: #248a3d; } .sw { color: #b25000; } .s4 { color: #c93400; } .s5 { color: #d70015; font-weight: 600; }
#drawer { position: fixed; top: 0; right: 0; bottom: 0; width: min(44rem, 90vw); background: #fff; box-shadow: -4px 0 16px #0003; overflow: auto; padding: 1rem; }
#drawer pre { background: #f5f5f7; padding: .5rem; white-space: pre-wrap; word-break: break-all; max-height: 40vh; overflow: auto; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; } dd { margin: 0; word-break: break-all; }
#error { color: #d70015; padding: 0 1rem; } #warnings code { color: #b25000; }
`;

/** The self-contained Insights page: inline style and script under a per-response CSP nonce, no external assets. */
export function dashboardPage({ mountPath, nonce }: { mountPath: string; nonce: string }): string {
  const field = (name: string, placeholder: string) =>
    `<label>${escapeHtml(name)} <input id="f-${escapeHtml(name)}" name="${escapeHtml(name)}" placeholder="${escapeHtml(placeholder)}"></label>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Insights · Plugin activity</title>
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
<script nonce="${escapeHtml(nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}
