#pragma once
// The web console: one static page (no CDN, no build step) that reads the JSON API. The page holds
// no data and is served without a token; it asks for an API token, keeps it in sessionStorage
// (gone when the tab closes), sends it as a bearer token on every call, and says so plainly on
// 401/403. Pages by hash route: #/fleet (and #/fleet/DEVICE), #/stock (with a search of the catalog
// by SKU, name or barcode as you type), #/channels, #/orders,
// #/kpis (SVG charts of GET /v1/kpis/history). Write buttons (replay, reconcile, retry) are shown
// to admin tokens only (GET /v1/whoami); the API refuses them to other roles anyway. Live: the
// page re-reads the API when GET /v1/stream (server-sent events) says something changed, and
// polls every 2 s while the stream is unavailable. The fleet is filtered and paged by the API
// (GET /v1/devices?limit&offset&q&state), 200 devices a page, grouped by store.

namespace sw::coordinator {

inline constexpr const char* kConsoleHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stockwire console</title>
<link rel="icon" href="data:,">
<style>
 body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fa; }
 header { background: #1d2330; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
 header h1 { font-size: 1.1rem; margin: 0; } header nav a { color: #cfd6e4; text-decoration: none; margin-right: .9rem; }
 header nav a.cur { color: #fff; border-bottom: 2px solid #6ea8ff; }
 #who { margin-left: auto; font-size: .85rem; }
 main { padding: 1rem 1.2rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
 table { border-collapse: collapse; background: #fff; margin-bottom: .8rem; }
 th, td { border-bottom: 1px solid #d8dce4; padding: .28rem .55rem; text-align: left; font-size: .86rem; }
 th { background: #eef1f6; } .num { text-align: right; font-variant-numeric: tabular-nums; }
 .off { color: #a33; font-weight: 600; } .on { color: #276738; }
 tr.crit { background: #fde8e8; } tr.warn { background: #fff6dc; }
 td.crit { background: #f7c1c1; font-weight: 600; } td.warn { background: #ffe7a3; } td.err { color: #a33; max-width: 18rem; }
 tr.group th { background: #dfe6f3; text-align: left; }
 #live { font-size: .8rem; color: #cfd6e4; } #live.on::before { content: '\25CF  '; color: #5ad17a; }
 .tiles { display: flex; gap: .7rem; flex-wrap: wrap; margin: .4rem 0 1rem; }
 .tile { background: #fff; border: 1px solid #d8dce4; border-radius: 6px; padding: .5rem .8rem; min-width: 8rem; }
 .tile .v { font-size: 1.4rem; font-weight: 600; display: block; } .tile .l { font-size: .78rem; color: #5a6275; }
 .tile.bad .v { color: #a33; } .tile.good .v { color: #276738; }
 #err { color: #a33; margin: .5rem 1.2rem; } #login { background: #fff; border: 1px solid #d8dce4; padding: 1rem; max-width: 34rem; margin: 1rem 1.2rem; }
 .chart { background: #fff; border: 1px solid #d8dce4; margin: 0 .7rem .7rem 0; display: inline-block; }
 .muted { color: #6b7385; font-size: .8rem; } input, select, button { font-size: .88rem; }
</style>
</head>
<body>
<header><h1>Stockwire</h1>
<nav id="nav" hidden><a href="#/fleet">Fleet</a><a href="#/stock">Stock</a><a href="#/channels">Channels</a><a href="#/orders">Orders</a><a href="#/kpis">KPIs</a></nav>
<span id="who" hidden><span id="live"></span> <span id="whoname"></span> <button id="logout">Log out</button></span></header>
<div id="err"></div>
<form id="login" hidden>
<p>Enter an API token (<code>stockwire-coordinator token create --db PATH --name NAME --role viewer</code>).</p>
<p><label>Token <input id="token" type="password" autocomplete="off" size="50"></label>
<button id="signin" type="submit">Log in</button></p>
</form>
<main id="main" hidden>
<section id="page-fleet" data-page="fleet" hidden>
<div class="tiles" id="fleet-tiles"></div>
<p><label>Search <input id="fleet-q" placeholder="device, store, kind or version"></label>
<label>Show <select id="fleet-state"><option value="">all</option><option value="offline">offline</option><option value="online">online</option><option value="alerts">with alerts</option><option value="critical">critical</option></select></label>
<span class="muted" id="fleet-count"></span> <button id="fleet-prev">&lt;</button> <button id="fleet-next">&gt;</button></p>
<table id="devices"><thead><tr><th>device</th><th>store</th><th>kind</th><th>software</th><th>state</th><th class="num">queue</th>
<th class="num">oldest unsynced</th><th class="num">disk free</th><th class="num">disk full in</th><th class="num">clock offset</th><th>certificate</th>
<th>last error</th><th>last seen</th><th>alerts</th></tr></thead><tbody></tbody></table>
<div id="device-detail"></div>
</section>
<section id="page-stock" data-page="stock" hidden>
<p><label>Find an item <input id="stock-q" type="search" placeholder="SKU, name or barcode" maxlength="64" size="30" autocomplete="off"></label> <span class="muted" id="stock-q-note"></span></p>
<table id="stock-matches" hidden><thead><tr><th>sku</th><th>name</th><th>barcodes</th></tr></thead><tbody></tbody></table>
<p><label>SKU <input id="sku" placeholder="SKU-1"></label> <label>or location <input id="loc" placeholder="store-1"></label> <button id="look">Look up</button></p>
<table id="stock"><thead><tr><th>location</th><th>sku</th><th class="num">on hand</th><th>last count</th></tr></thead><tbody></tbody></table>
<h2>Available per channel</h2>
<table id="available"><thead><tr><th>channel</th><th class="num">on hand</th><th class="num">reserved</th><th class="num">safety</th><th class="num">exposure buffer</th><th class="num">available</th><th>channel shows</th></tr></thead><tbody></tbody></table>
<h2>Movements</h2>
<table id="moves"><thead><tr><th>applied</th><th>device</th><th>type</th><th>location</th><th class="num">delta</th></tr></thead><tbody></tbody></table>
<h2>Discrepancies from counts</h2>
<table id="discrepancies"><thead><tr><th>location</th><th>sku</th><th class="num">expected</th><th class="num">counted</th><th class="num">difference</th><th>counted</th><th>since the count before: what explains it</th></tr></thead><tbody></tbody></table>
<h2>Transfers in flight</h2>
<table id="transfers"><thead><tr><th>from</th><th>to</th><th>sku</th><th class="num">qty</th></tr></thead><tbody></tbody></table>
</section>
<section id="page-channels" data-page="channels" hidden>
<table id="channels"><thead><tr><th>channel</th><th class="num">pending</th><th class="num">awaiting accept</th><th class="num">pushed</th><th class="num">failed</th>
<th class="num">rate tokens</th><th>last push</th><th>last error</th><th>reconcile</th><th></th></tr></thead><tbody></tbody></table>
<h2>Dead letters</h2>
<table id="dead-letters"><thead><tr><th>id</th><th>channel</th><th>sku</th><th class="num">qty</th><th>code</th><th>message</th><th>when</th><th></th></tr></thead><tbody></tbody></table>
<h2>Wholesale partners (X12)</h2>
<table id="wholesale-partners"><thead><tr><th>partner</th><th>ISA ids (them / us)</th><th>version</th><th>inbound folder</th><th class="num">items</th><th class="num">846 every s</th><th class="num">unacknowledged</th></tr></thead><tbody></tbody></table>
<h2>Wholesale files received</h2>
<table id="wholesale-files"><thead><tr><th>id</th><th>partner</th><th>file</th><th>outcome</th><th>detail</th><th>when</th></tr></thead><tbody></tbody></table>
</section>
<section id="page-orders" data-page="orders" hidden>
<div class="tiles" id="order-tiles"></div>
<table id="orders"><thead><tr><th>channel</th><th>order</th><th>state</th><th>routing</th><th class="num">lines</th><th>updated</th></tr></thead><tbody></tbody></table>
<h2>Pick tasks</h2>
<table id="tasks"><thead><tr><th>task</th><th>order</th><th>location (its handhelds)</th><th>state</th><th>lines</th></tr></thead><tbody></tbody></table>
<h2>Fulfilments and what the channel answered</h2>
<table id="fulfilments"><thead><tr><th>order</th><th>channel</th><th>from</th><th>tracking</th><th>lines</th><th>state</th>
<th class="num">attempts</th><th>channel's answer</th><th>reported</th></tr></thead><tbody></tbody></table>
<h2>Refunds</h2>
<table id="refunds"><thead><tr><th>order</th><th>channel</th><th>refund</th><th>line</th><th class="num">qty</th><th class="num">released</th>
<th class="num">restocked</th><th>when</th></tr></thead><tbody></tbody></table>
<h2>Needs attention</h2>
<table id="attention"><thead><tr><th>what</th><th>channel</th><th>order</th><th>error</th><th></th></tr></thead><tbody></tbody></table>
</section>
<section id="page-kpis" data-page="kpis" hidden>
<p><label>Range <select id="kpi-range"><option value="auto" selected>since sampling began (up to 24 hours)</option>
<option value="3600000">1 hour</option><option value="21600000">6 hours</option>
<option value="86400000">24 hours</option><option value="604800000">7 days</option><option value="2678400000">31 days</option></select></label>
<span class="muted" id="kpi-note"></span></p>
<div class="tiles" id="kpi-tiles"></div>
<div id="charts"></div>
</section>
</main>
<script>
'use strict';
const kTokenKey = 'stockwire.token';
let who = null, fleetPage = 0;
const kPageSize = 200;
const $ = (s) => document.querySelector(s);
function token() { return sessionStorage.getItem(kTokenKey) || ''; }
function showLogin(message) {
  $('#login').hidden = false; $('#main').hidden = true; $('#who').hidden = true; $('#nav').hidden = true;
  $('#err').textContent = message || '';
}
function showMain() { $('#login').hidden = true; $('#main').hidden = false; $('#who').hidden = false; $('#nav').hidden = false; }
// Every call goes through here: the token as a bearer token; 401 sends back to the login.
async function api(path, method) {
  const r = await fetch(path, {method: method || 'GET', headers: {'Authorization': 'Bearer ' + token()}});
  if (r.status === 401) {
    sessionStorage.removeItem(kTokenKey);
    showLogin('The token was refused (unknown or revoked): log in again.');
    throw new Error('unauthorized');
  }
  const j = await r.json().catch(() => ({}));
  if (r.status >= 400) {
    const m = (j.error && j.error.message) || (method || 'GET') + ' ' + path + ': HTTP ' + r.status;
    $('#err').textContent = (r.status === 403 ? 'Not allowed with this token: ' : '') + m;
    throw new Error('refused');
  }
  return j;
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = text; if (cls) e.className = cls; return e; }
function cell(tr, text, cls) { const td = el('td', text, cls); tr.appendChild(td); return td; }
function fill(sel, rows, render) {
  const tb = document.querySelector(sel + ' tbody'); tb.innerHTML = '';
  for (const r of rows) { const tr = document.createElement('tr'); render(tr, r); tb.appendChild(tr); }
}
function when(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : ''; }
function dur(s) {
  if (s === undefined || s === null) return '';
  if (s < 90) return s + ' s'; if (s < 5400) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h'; return (s / 86400).toFixed(1) + ' d';
}
function bytes(b) { if (b === undefined || b < 0) return ''; const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0; while (b >= 1024 && i < 4) { b /= 1024; i++; } return b.toFixed(i ? 1 : 0) + ' ' + u[i]; }
function tile(box, label, value, cls) { const t = el('div', null, 'tile' + (cls ? ' ' + cls : '')); t.dataset.field = label; t.appendChild(el('span', value, 'v')); t.appendChild(el('span', label, 'l')); box.appendChild(t); }
function isAdmin() { return who && who.role === 'admin'; }
function button(td, label, path, done) {
  if (!isAdmin()) return;  // write actions are shown to roles that may do them only
  const b = el('button', label); b.onclick = async () => { b.disabled = true; try { await api(path, 'POST'); if (done) done(); } catch (e) {} refresh(); };
  td.appendChild(b);
}

// Which alert codes make which fleet cell stand out (the device's alerts from the API).
const kCellAlerts = {queue: ['queue_too_deep'], unsynced: ['unsynced_too_old'], disk: ['disk_low'], left: ['disk_filling'],
  clock: ['clock_skew'], cert: ['cert_expiring', 'cert_expired'], state: ['offline_long']};
function marked(td, d, key) {
  const hits = d.alerts.filter((a) => kCellAlerts[key].includes(a.code));
  if (hits.length) td.classList.add(hits.some((a) => a.level === 'critical') ? 'crit' : 'warn');
  return td;
}
function deviceRow(tr, d) {
  if (d.alerts.some((a) => a.level === 'critical')) tr.className = 'crit'; else if (d.alerts.length) tr.className = 'warn';
  const rep = d.reported || {};
  const a = el('a', d.device_id); a.href = '#/fleet/' + encodeURIComponent(d.device_id);
  cell(tr, '').appendChild(a); cell(tr, d.location); cell(tr, d.kind); cell(tr, rep.version || '');
  marked(cell(tr, d.online ? 'online' : 'offline for ' + dur(d.offline_s), d.online ? 'on' : 'off'), d, 'state');
  marked(cell(tr, d.queue_depth ?? '', 'num'), d, 'queue'); marked(cell(tr, dur(d.oldest_unsynced_age_s), 'num'), d, 'unsynced');
  marked(cell(tr, bytes(d.disk_free_bytes), 'num'), d, 'disk'); marked(cell(tr, dur(d.disk_time_left_s), 'num'), d, 'left');
  marked(cell(tr, d.clock_offset_ms !== undefined ? d.clock_offset_ms + ' ms' : '', 'num'), d, 'clock');
  marked(cell(tr, d.certificate ? (d.certificate.expires_in_s > 0 ? 'in ' + dur(d.certificate.expires_in_s) : 'expired') : ''), d, 'cert');
  const le = rep.last_error; cell(tr, le ? le.message + ' (' + when(le.at_ms) + ')' : '', 'err');
  cell(tr, when(d.last_seen_ms)); cell(tr, d.alerts.map((x) => x.level + ': ' + x.message).join('; '));
}
async function fleet() {
  const parts = location.hash.split('/');
  const q = $('#fleet-q').value.trim(), st = $('#fleet-state').value;
  // The API filters and pages (thousands of devices); the tiles are its summary of the whole fleet.
  const query = (page) => '/v1/devices?limit=' + kPageSize + '&offset=' + page * kPageSize + (q ? '&q=' + encodeURIComponent(q) : '') + (st ? '&state=' + st : '');
  let j = await api(query(fleetPage));
  const pages = Math.max(1, Math.ceil(j.matched / kPageSize));
  if (fleetPage >= pages) { fleetPage = pages - 1; j = await api(query(fleetPage)); }
  const s = j.summary, box = $('#fleet-tiles'); box.innerHTML = '';
  tile(box, 'devices', s.devices); tile(box, 'online', s.online, 'good'); tile(box, 'offline', s.offline, s.offline ? 'bad' : '');
  tile(box, 'critical alerts', s.critical, s.critical ? 'bad' : ''); tile(box, 'warnings', s.warning);
  tile(box, 'unsynced events', s.unsynced_events); tile(box, 'stores', s.stores);
  $('#fleet-count').textContent = j.matched + ' of ' + j.total + ' devices match; ' + (j.devices.length ? 'showing ' + (j.offset + 1) + '–' + (j.offset + j.devices.length) + ', ' : '') + 'page ' + (fleetPage + 1) + ' of ' + pages;
  // Grouped by store: a heading row per store (class group), then its devices.
  const tb = $('#devices tbody'); tb.innerHTML = '';
  const stores = new Map();
  for (const d of j.devices) { if (!stores.has(d.location)) stores.set(d.location, []); stores.get(d.location).push(d); }
  for (const [loc, list] of stores) {
    const g = document.createElement('tr'); g.className = 'group';
    const off = list.filter((d) => !d.online).length;
    const th = el('th', loc + ' — ' + list.length + ' device' + (list.length > 1 ? 's' : '') + (off ? ', ' + off + ' offline' : '')); th.colSpan = 15;
    g.appendChild(th); tb.appendChild(g);
    for (const d of list) { const tr = document.createElement('tr'); deviceRow(tr, d); tb.appendChild(tr); }
  }
  const detail = $('#device-detail');
  if (parts.length > 2) {
    // Everything is fetched first and the section rebuilt at once: a refresh never shows it half made.
    const id = decodeURIComponent(parts[2]);
    const one = await api('/v1/devices?device=' + encodeURIComponent(id));
    const d = one.devices[0];
    const ev = d ? await api('/v1/events?device=' + encodeURIComponent(id) + '&from_seq=' + Math.max(1, d.last_applied_seq - 49) + '&limit=50') : null;
    const qj = d ? await api('/v1/quarantine?limit=1000&payload_max=200') : null;
    detail.innerHTML = '';
    if (!d) { detail.appendChild(el('p', 'no device ' + id)); return; }
    detail.appendChild(el('h2', 'Device ' + id + ' (' + d.kind + ' at ' + d.location + ')'));
    const rep = d.reported || {}, facts = el('div', null, 'tiles'); facts.id = 'device-facts';
    tile(facts, 'state', d.online ? 'online' : 'offline for ' + dur(d.offline_s), d.online ? 'good' : 'bad');
    tile(facts, 'software', rep.version || 'not reported');
    tile(facts, 'applied up to seq', d.last_applied_seq);
    tile(facts, 'queue', d.queue_depth ?? 'n/a'); tile(facts, 'disk free', bytes(d.disk_free_bytes) || 'n/a');
    tile(facts, 'disk full in', d.disk_time_left_s !== undefined ? dur(d.disk_time_left_s) : 'n/a');
    tile(facts, 'certificate expires', d.certificate ? when(d.certificate.not_after_ms) : 'not enrolled here');
    tile(facts, 'last error', rep.last_error ? rep.last_error.message : 'none', rep.last_error ? 'bad' : '');
    detail.appendChild(facts);
    const t = el('table'); t.id = 'device-events';
    t.innerHTML = '<thead><tr><th class="num">seq</th><th>type</th><th>occurred</th><th>applied</th><th>movements</th></tr></thead><tbody></tbody>';
    detail.appendChild(el('h2', 'Recent events')); detail.appendChild(t);
    fill('#device-events', ev.events.slice().reverse(), (tr, e) => {
      cell(tr, e.seq, 'num'); cell(tr, e.type); cell(tr, when(e.at_ms)); cell(tr, when(e.applied_at_ms));
      cell(tr, e.movements.map((m) => m.sku + '@' + m.location + ' ' + (m.delta > 0 ? '+' : '') + m.delta).join(', '));
    });
    // Sync history: the batches the ledger applied, as the events' applied times group them.
    const batches = new Map();
    for (const e of ev.events) { const b = batches.get(e.applied_at_ms) || {n: 0, lo: e.seq, hi: e.seq, lag: 0}; b.n++; b.lo = Math.min(b.lo, e.seq); b.hi = Math.max(b.hi, e.seq); b.lag = Math.max(b.lag, e.applied_at_ms - e.at_ms); batches.set(e.applied_at_ms, b); }
    const s = el('table'); s.id = 'device-sync';
    s.innerHTML = '<thead><tr><th>applied</th><th>seqs</th><th class="num">events</th><th class="num">oldest lag</th></tr></thead><tbody></tbody>';
    detail.appendChild(el('h2', 'Sync history (last 50 events)')); detail.appendChild(s);
    fill('#device-sync', [...batches.entries()].sort((x, y) => y[0] - x[0]), (tr, [at, b]) => {
      cell(tr, when(at)); cell(tr, b.lo + '–' + b.hi); cell(tr, b.n, 'num'); cell(tr, dur(Math.round(b.lag / 1000)), 'num');
    });
    const qt = el('table'); qt.id = 'device-quarantine';
    qt.innerHTML = '<thead><tr><th>received</th><th>code</th><th>reason</th></tr></thead><tbody></tbody>';
    detail.appendChild(el('h2', 'Quarantined messages')); detail.appendChild(qt);
    fill('#device-quarantine', qj.quarantined.filter((x) => x.device_id === id), (tr, x) => { cell(tr, when(x.received_at_ms)); cell(tr, x.code); cell(tr, x.reason); });
  } else {
    detail.innerHTML = '';
  }
}

async function stock() {
  const sku = $('#sku').value.trim(), loc = $('#loc').value.trim();
  const p = (k, v) => k + '=' + encodeURIComponent(v);
  const tr = await api('/v1/transfers?open=1' + (sku ? '&' + p('sku', sku) : '') + (loc ? '&' + p('location', loc) : ''));
  fill('#transfers', tr.transfers || [], (r, t) => { cell(r, t.from_location ?? t.from); cell(r, t.to_location ?? t.to); cell(r, t.sku); cell(r, t.sent ?? '', 'num'); });
  const dq = await api('/v1/discrepancies?' + (sku ? p('sku', sku) : '') + (loc ? '&' + p('location', loc) : ''));
  fill('#discrepancies', dq.counts || [], (r, d) => {
    cell(r, d.location); cell(r, d.sku); cell(r, d.expected, 'num'); cell(r, d.counted, 'num'); cell(r, d.difference, 'num');
    cell(r, when(d.count.at_ms) + ' by ' + d.count.device_id + (d.previous_count ? '; before: ' + d.previous_count.counted + ' at ' + when(d.previous_count.at_ms) : ''));
    const moves = (d.explained_by || []).map((m) => m.type + ' ' + (m.delta > 0 ? '+' : '') + m.delta + ' by ' + m.device_id + ' #' + m.seq + (m.late ? ' (arrived late)' : '') + (m.ambiguous ? ' (same moment)' : ''));
    const more = (d.explained_by_total || 0) - moves.length;
    cell(r, (moves.length ? moves.join('; ') : 'no movement since') + (more > 0 ? '; ' + more + ' more' : ''));
  });
  if (!sku && !loc) return;
  const j = await api('/v1/stock?' + (sku ? p('sku', sku) : p('location', loc)));
  fill('#stock', j.locations || j.skus || [], (r, row) => {
    cell(r, row.location ?? j.location); cell(r, row.sku ?? j.sku); cell(r, row.on_hand, 'num');
    cell(r, row.last_count_at_ms ? when(row.last_count_at_ms) + ' (' + row.last_counted + ')' : '');
  });
  if (!sku) return;
  const av = await api('/v1/available?' + p('sku', sku)).catch(() => ({channels: []}));
  fill('#available', av.channels, (r, c) => {
    cell(r, c.channel); cell(r, c.on_hand, 'num'); cell(r, c.reserved, 'num'); cell(r, c.safety_stock, 'num'); cell(r, c.exposure_buffer, 'num'); cell(r, c.available, 'num');
    const cs = c.channel_shows; cell(r, cs ? cs.quantity + ' (' + cs.how + ' ' + when(cs.at_ms) + ')' : 'not pushed or read yet');
  });
  const first = (j.locations || [])[0];
  const mv = await api('/v1/events?' + p('sku', sku) + '&' + p('location', loc || (first ? first.location : ''))).catch(() => ({events: []}));
  fill('#moves', (mv.events || mv.movements || []).slice(-100).reverse(), (r, e) => {
    cell(r, when(e.applied_at_ms)); cell(r, e.device_id); cell(r, e.type); cell(r, e.location);
    cell(r, e.delta ?? (e.movements || []).reduce((n, m) => n + (m.sku === sku ? m.delta : 0), 0), 'num');
  });
}

// The stock page's item search: GET /v1/catalog?q= once typing pauses for 250 ms, each match a
// button that looks its SKU up in the tables below. An answer to an older query is dropped.
let stockQuery = 0, stockTimer = null;
function showMatches(items, note) {
  $('#stock-matches').hidden = !items.length; $('#stock-q-note').textContent = note;
  fill('#stock-matches', items, (tr, it) => {
    const b = el('button', it.sku); b.dataset.sku = it.sku; b.onclick = () => { $('#sku').value = it.sku; refresh(); };
    cell(tr, '').appendChild(b); cell(tr, it.name + (it.active ? '' : ' (retired)')); cell(tr, it.gtins.join(', '));
  });
}
async function stockSearch() {
  const q = $('#stock-q').value.trim(), n = ++stockQuery;
  if (!q) return showMatches([], '');
  let j;
  try { j = await api('/v1/catalog?q=' + encodeURIComponent(q) + '&limit=50'); }
  catch (e) { if (n === stockQuery) showMatches([], ['unauthorized', 'refused'].includes(e.message) ? '' : 'search failed: ' + e); return; }
  if (n !== stockQuery) return;
  const k = j.items.length;
  showMatches(j.items, !k ? 'no item matches' : j.truncated ? 'the first ' + k + ' matches; type more to narrow them' : k + (k === 1 ? ' match' : ' matches'));
}
$('#stock-q').oninput = () => { clearTimeout(stockTimer); stockTimer = setTimeout(stockSearch, 250); };

async function channels() {
  const j = await api('/v1/channels');
  fill('#channels', j.channels, (tr, c) => {
    cell(tr, c.channel); cell(tr, c.queue, 'num'); cell(tr, c.awaiting_accept, 'num'); cell(tr, c.pushed, 'num'); cell(tr, c.failed, 'num');
    cell(tr, c.rate.known ? Math.floor(c.rate.available) + ' / ' + c.rate.capacity : 'not learned', 'num');
    cell(tr, when(c.last_push_at_ms)); cell(tr, c.last_error);
    const r = c.reconcile; cell(tr, r ? (r.done ? r.in_step + ' in step, ' + r.drifted + ' drifted, ' + r.not_listed + ' not listed' : 'running') : '');
    button(cell(tr, ''), 'Reconcile', '/v1/channels/' + encodeURIComponent(c.channel) + '/reconcile?wait_ms=0');
  });
  const d = await api('/v1/channels/dead-letters').catch(() => ({dead_letters: []}));
  fill('#dead-letters', d.dead_letters, (tr, x) => {
    cell(tr, x.id, 'num'); cell(tr, x.channel); cell(tr, x.sku); cell(tr, x.quantity, 'num'); cell(tr, x.code); cell(tr, x.message); cell(tr, when(x.created_at_ms));
    button(cell(tr, ''), 'Replay', '/v1/channels/dead-letters/' + x.id + '/replay');
  });
  // The wholesale channel answers 404 when serve runs without --wholesale: no rows then.
  const w = await api('/v1/wholesale/partners').catch(() => ({partners: []}));
  fill('#wholesale-partners', w.partners, (tr, p) => {
    cell(tr, p.id); cell(tr, p.them.qualifier + '/' + p.them.id + ' / ' + p.us.qualifier + '/' + p.us.id); cell(tr, p.version);
    cell(tr, p.folders.inbound); cell(tr, p.items, 'num'); cell(tr, p.inventory_interval_s, 'num'); cell(tr, p.unacknowledged, 'num');
  });
  const f = w.partners.length ? await api('/v1/wholesale/files?limit=50').catch(() => ({files: []})) : {files: []};
  fill('#wholesale-files', f.files, (tr, x) => {
    cell(tr, x.id, 'num'); cell(tr, x.partner); cell(tr, x.name); cell(tr, x.state === 'done' ? x.outcome : x.state); cell(tr, x.detail);
    cell(tr, when(x.received_at_ms));
  });
}

async function orders() {
  const j = await api('/v1/orders?limit=500');
  const list = j.orders || [];
  const box = $('#order-tiles'); box.innerHTML = '';
  const by = {};
  for (const o of list) { by[o.channel + ' ' + o.status] = (by[o.channel + ' ' + o.status] || 0) + 1; }
  tile(box, 'orders', list.length);
  for (const k of Object.keys(by).sort()) tile(box, k, by[k]);
  fill('#orders', list, (tr, o) => {
    cell(tr, o.channel); cell(tr, o.order_name ? o.order_name + ' (' + o.order_id + ')' : o.order_id); cell(tr, o.status);
    cell(tr, (o.allocations || []).map((a) => a.quantity + '×' + a.sku + '@' + (a.location || 'unrouted')).join(', ') + (o.reason ? ' — ' + o.reason : ''));
    cell(tr, (o.lines || []).length, 'num'); cell(tr, when(o.updated_at_ms));
  });
  const name = (o) => o.order_name || o.order_id;
  const fl = [], rf = [];
  for (const o of list) {
    for (const f of o.fulfilments || []) fl.push({o, f});
    for (const r of o.refunds || []) rf.push({o, r});
  }
  fill('#fulfilments', fl, (tr, {o, f}) => {
    cell(tr, name(o)); cell(tr, o.channel); cell(tr, f.location); cell(tr, f.tracking_number); cell(tr, f.lines.map((l) => l.quantity + '×' + l.sku).join(', '));
    cell(tr, f.status); cell(tr, f.attempts, 'num');
    cell(tr, f.last_error ? 'refused: ' + f.last_error : (f.channel_fulfilment_id ? 'accepted as ' + f.channel_fulfilment_id : 'not answered yet'), f.last_error ? 'err' : '');
    cell(tr, when(f.reported_at_ms));
  });
  fill('#refunds', rf, (tr, {o, r}) => {
    cell(tr, name(o)); cell(tr, o.channel); cell(tr, r.refund_id); cell(tr, r.line_id); cell(tr, r.quantity, 'num');
    cell(tr, r.released, 'num'); cell(tr, r.restocked, 'num'); cell(tr, when(r.at_ms));
  });
  const t = await api('/v1/tasks');
  // Who has a task: it goes down to every handheld at its location.
  const locs = [...new Set(t.tasks.map((x) => x.location))];
  const hands = {};
  for (const l of locs) hands[l] = (await api('/v1/devices?location=' + encodeURIComponent(l))).devices.filter((d) => d.kind === 'handheld').map((d) => d.device_id + (d.online ? '' : ' (offline)'));
  fill('#tasks', t.tasks, (tr, x) => { cell(tr, x.task_id); cell(tr, x.order_name || x.order_id); cell(tr, x.location + (hands[x.location] && hands[x.location].length ? ' (' + hands[x.location].join(', ') + ')' : ' (no handheld)')); cell(tr, x.status); cell(tr, x.lines.map((l) => l.qty + '×' + l.sku).join(', ')); });
  const a = await api('/v1/orders/attention');
  const rows = a.failed_fulfilments.map((f) => ({what: 'fulfilment refused', f})).concat(a.cancels.map((c) => ({what: 'cancel ' + c.channel_cancel, c})));
  fill('#attention', rows, (tr, r) => {
    const o = r.f || r.c; cell(tr, r.what); cell(tr, o.channel); cell(tr, o.order_name || o.order_id); cell(tr, r.f ? r.f.last_error : r.c.error);
    const td = cell(tr, ''); if (r.f) button(td, 'Retry', '/v1/fulfilments/' + r.f.id + '/retry');
  });
}

// A line chart in SVG: time on x, the series' unit on y, one line per labelled series.
function chart(title, unit, series, since, until, target) {
  const W = 460, H = 200, L = 50, B = 30, T = 22, R = 10;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg'); svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('class', 'chart');
  svg.dataset.series = title;
  const add = (tag, attrs, text) => { const e = document.createElementNS(ns, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; svg.appendChild(e); return e; };
  let max = target || 0;
  for (const s of series) for (const p of s.points) max = Math.max(max, p[1]);
  max = max > 0 ? max * 1.1 : 1;
  const x = (t) => L + (W - L - R) * (t - since) / Math.max(1, until - since), y = (v) => H - B - (H - B - T) * v / max;
  add('text', {x: L, y: 14, 'font-size': 12, 'font-weight': 600}, title + ' (' + unit + ')');
  add('line', {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#888'}); add('line', {x1: L, y1: T, x2: L, y2: H - B, stroke: '#888'});
  for (let i = 0; i <= 4; i++) { const v = max * i / 4; add('text', {x: L - 4, y: y(v) + 4, 'font-size': 10, 'text-anchor': 'end'}, v >= 100 ? v.toFixed(0) : v.toPrecision(2)); }
  const short = until - since <= 3 * 3600000;  // hh:mm:ss within a few hours, else mm-dd hh:mm
  for (let i = 0; i <= 3; i++) { const t = since + (until - since) * i / 3, iso = new Date(t).toISOString(); add('text', {x: x(t), y: H - B + 14, 'font-size': 10, 'text-anchor': i === 3 ? 'end' : (i === 0 ? 'start' : 'middle')}, short ? iso.slice(11, 19) : iso.slice(5, 16).replace('T', ' ')); }
  add('text', {x: W - R, y: H - 4, 'font-size': 10, 'text-anchor': 'end'}, 'time (UTC)');
  if (target) { add('line', {x1: L, y1: y(target), x2: W - R, y2: y(target), stroke: '#c33', 'stroke-dasharray': '4 3'}); add('text', {x: W - R, y: y(target) - 3, 'font-size': 10, 'text-anchor': 'end', fill: '#c33'}, 'target ' + target); }
  const colours = ['#2f6fdb', '#e07b00', '#2a9d55', '#9b3fc2', '#c33', '#555'];
  series.forEach((s, i) => {
    const pts = s.points.map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
    add('polyline', {points: pts, fill: 'none', stroke: colours[i % colours.length], 'stroke-width': 1.6});
    const lab = Object.values(s.labels || {}).join(' ');
    if (lab) add('text', {x: L + 6 + 80 * i, y: T + 10, 'font-size': 10, fill: colours[i % colours.length]}, lab);
  });
  if (!series.some((s) => s.points.length)) add('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle', 'font-size': 12, fill: '#888'}, 'no samples in this range yet');
  return svg;
}

async function kpis() {
  const k = await api('/v1/kpis');
  const box = $('#kpi-tiles'); box.innerHTML = '';
  const pct = (v) => v === null || v === undefined ? 'n/a' : v.toFixed(2) + ' %';
  const ia = k.inventory_accuracy;
  tile(box, 'inventory accuracy (target ' + ia.target_pct + ' %)', pct(ia.accuracy_pct), ia.accuracy_pct === null ? '' : (ia.meets_target ? 'good' : 'bad'));
  if (k.fulfilment_accuracy) tile(box, 'fulfilment accuracy (target ' + k.fulfilment_accuracy.target_pct + ' %)', pct(k.fulfilment_accuracy.accuracy_pct));
  if (k.return_rate) tile(box, 'return rate', pct(k.return_rate.return_rate_pct));
  tile(box, 'sync latency p50', k.sync_latency.p50_ms !== undefined ? k.sync_latency.p50_ms + ' ms' : 'n/a');
  tile(box, 'sync latency p99', k.sync_latency.p99_ms !== undefined ? k.sync_latency.p99_ms + ' ms' : 'n/a');
  tile(box, 'quarantined messages', k.errors.quarantined_messages);
  const pick = $('#kpi-range').value, auto = pick === 'auto';
  const until = Date.now(), from = until - (auto ? 86400000 : Number(pick));
  const h = await api('/v1/kpis/history?since_ms=' + from + '&until_ms=' + until);
  // "auto": the x axis starts at the first sample of the last 24 hours, so a new coordinator's
  // few minutes fill the chart instead of its last pixel.
  let since = from;
  if (auto) {
    let first = until;
    for (const s of h.series) for (const p of s.points) first = Math.min(first, p[0]);
    since = Math.max(from, first - Math.max(1000, (until - first) * 0.05));
  }
  $('#kpi-note').textContent = 'sampled every ' + (h.interval_ms < 1000 ? h.interval_ms + ' ms' : Math.round(h.interval_ms / 1000) + ' s') + ', kept ' + h.retention_h + ' h; showing ' + when(since) + ' to ' + when(until) + ' UTC';
  const byName = new Map();
  for (const s of h.series) { if (!byName.has(s.name)) byName.set(s.name, []); byName.get(s.name).push(s); }
  const c = $('#charts'); c.innerHTML = '';
  for (const [name, ss] of byName) c.appendChild(chart(name, ss[0].unit, ss, since, until, ss[0].target));
}

const pages = {fleet, stock, channels, orders, kpis};
function current() { const p = (location.hash.split('/')[1] || 'fleet'); return pages[p] ? p : 'fleet'; }
let busy = false, again = false;
async function refresh() {
  if (!token()) return;
  if (busy) { again = true; return; }  // one more pass after this one: a change came in meanwhile
  busy = true;
  const p = current();
  for (const s of document.querySelectorAll('section[data-page]')) s.hidden = s.dataset.page !== p;
  for (const a of document.querySelectorAll('#nav a')) a.className = a.getAttribute('href') === '#/' + p ? 'cur' : '';
  try { await pages[p](); if ($('#err').textContent.startsWith('cannot reach')) $('#err').textContent = ''; }
  catch (e) { if (!['unauthorized', 'refused'].includes(e.message)) $('#err').textContent = 'cannot reach the coordinator: ' + e; }
  finally { busy = false; if (again) { again = false; refresh(); } }
}
// Live: GET /v1/stream (server-sent events, read with fetch so the token goes in a header) says
// which parts changed; the page re-reads the API then, at most once per kMinGapMs. Without the
// stream (refused, or the link dropped) the page polls every kPollMs and tries again.
const kMinGapMs = 500, kPollMs = 2000, kLiveTickMs = 15000;
// Which parts of the stream each page shows (a KPI sample does not redraw the fleet).
const kPageParts = {fleet: ['devices', 'ledger'], stock: ['ledger', 'channels', 'orders'], channels: ['channels'],
  orders: ['orders', 'ledger', 'devices'], kpis: ['kpis']};
const live = {connected: false, events: 0, controller: null};
window.swLive = live;  // read by the browser tests
let lastRefresh = 0, pending = null;
function soon() {
  if (pending) return;
  const wait = Math.max(0, lastRefresh + kMinGapMs - Date.now());
  pending = setTimeout(() => { pending = null; lastRefresh = Date.now(); refresh(); }, wait);
}
function setLive(on, why) {
  live.connected = on; const b = $('#live'); b.className = on ? 'on' : '';
  b.textContent = on ? 'live' : 'polling every ' + kPollMs / 1000 + ' s' + (why ? ' (' + why + ')' : '');
}
async function stream() {
  if (!token() || live.controller) return;
  const ctl = new AbortController(); live.controller = ctl;
  let why = '';
  try {
    const r = await fetch('/v1/stream', {headers: {'Authorization': 'Bearer ' + token()}, signal: ctl.signal});
    if (r.status !== 200) { why = 'stream refused: HTTP ' + r.status; throw new Error(why); }
    setLive(true);
    const reader = r.body.getReader(), dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buf += dec.decode(value, {stream: true});
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const msg = buf.slice(0, i); buf = buf.slice(i + 2);
        const ev = (msg.match(/^event: (.*)$/m) || [])[1];
        if (ev === 'change') {
          live.events++;
          const data = JSON.parse((msg.match(/^data: (.*)$/m) || [])[1] || '{}');
          if ((data.changed || []).some((part) => kPageParts[current()].includes(part))) soon();
        }
      }
    }
  } catch (e) { if (!why) why = 'stream lost'; }
  live.controller = null; setLive(false, why);
  if (token()) setTimeout(stream, 3000);
}
async function start() {
  try { who = await api('/v1/whoami'); } catch (e) { return; }
  $('#whoname').textContent = who.name + ' (' + who.role + (who.location ? ', ' + who.location : '') + ')';
  showMain(); refresh(); stream();
}
$('#look').onclick = refresh; $('#fleet-q').oninput = () => { fleetPage = 0; refresh(); }; $('#fleet-state').onchange = () => { fleetPage = 0; refresh(); }; $('#kpi-range').onchange = refresh;
$('#fleet-prev').onclick = () => { fleetPage = Math.max(0, fleetPage - 1); refresh(); }; $('#fleet-next').onclick = () => { fleetPage++; refresh(); };
window.onhashchange = refresh;
$('#login').onsubmit = async (ev) => {
  ev.preventDefault();
  const t = $('#token').value.trim(); if (!t) return;
  sessionStorage.setItem(kTokenKey, t); $('#token').value = ''; $('#err').textContent = '';
  start();
};
$('#logout').onclick = () => { sessionStorage.removeItem(kTokenKey); who = null; if (live.controller) live.controller.abort(); showLogin('Logged out.'); };
if (token()) start(); else showLogin('');
// While live, a slow tick keeps durations ("offline for") current; without the stream, poll.
setInterval(() => { if (!live.connected || Date.now() - lastRefresh >= kLiveTickMs) { lastRefresh = Date.now(); refresh(); } }, kPollMs);
</script>
</body>
</html>
)HTML";

}  // namespace sw::coordinator
