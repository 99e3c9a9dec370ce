#pragma once
// The web console: one static page that reads the JSON API.

namespace sw::coordinator {

inline constexpr const char* kConsoleHtml = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stockwire console</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2330; }
 h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
 table { border-collapse: collapse; min-width: 40rem; }
 th, td { border-bottom: 1px solid #d8dce4; padding: .3rem .6rem; text-align: left; font-size: .9rem; }
 th { background: #f1f3f7; }
 .off { color: #a33; } .on { color: #276738; } .num { text-align: right; font-variant-numeric: tabular-nums; }
 #err { color: #a33; }
</style>
</head>
<body>
<h1>Stockwire console</h1>
<div id="err"></div>
<h2>Devices</h2>
<table id="devices"><thead><tr><th>device</th><th>kind</th><th>location</th><th>state</th>
<th class="num">last applied seq</th><th class="num">queue</th><th class="num">oldest unsynced (s)</th>
<th>last seen</th></tr></thead><tbody></tbody></table>
<h2>Stock</h2>
<p><label>SKU <input id="sku" value="" placeholder="SKU-1"></label>
<label>or location <input id="loc" value="" placeholder="store-1"></label>
<button id="look">Look up</button></p>
<table id="stock"><thead><tr><th>location</th><th>sku</th><th class="num">on hand</th><th>last count</th></tr></thead><tbody></tbody></table>
<script>
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
async function devices() {
  try {
    const r = await fetch('/v1/devices'); const j = await r.json();
    const tb = document.querySelector('#devices tbody'); tb.innerHTML = '';
    for (const d of j.devices) {
      const tr = document.createElement('tr');
      cell(tr, d.device_id); cell(tr, d.kind); cell(tr, d.location);
      cell(tr, d.online ? 'online' : 'offline', d.online ? 'on' : 'off');
      cell(tr, d.last_applied_seq, 'num'); cell(tr, d.queue_depth ?? '', 'num');
      cell(tr, d.oldest_unsynced_age_s ?? '', 'num');
      cell(tr, d.last_seen_ms ? new Date(d.last_seen_ms).toISOString() : '');
      tb.appendChild(tr);
    }
    document.getElementById('err').textContent = '';
  } catch (e) { document.getElementById('err').textContent = 'cannot reach the coordinator: ' + e; }
}
async function stock() {
  const sku = document.getElementById('sku').value.trim(), loc = document.getElementById('loc').value.trim();
  if (!sku && !loc) return;
  const q = sku ? 'sku=' + encodeURIComponent(sku) : 'location=' + encodeURIComponent(loc);
  const j = await (await fetch('/v1/stock?' + q)).json();
  const tb = document.querySelector('#stock tbody'); tb.innerHTML = '';
  for (const row of (j.locations || j.skus || [])) {
    const tr = document.createElement('tr');
    cell(tr, row.location ?? j.location); cell(tr, row.sku ?? j.sku); cell(tr, row.on_hand, 'num');
    cell(tr, row.last_count_at_ms ? new Date(row.last_count_at_ms).toISOString() + ' (' + row.last_counted + ')' : '');
    tb.appendChild(tr);
  }
}
document.getElementById('look').onclick = stock;
devices(); setInterval(devices, 2000);
</script>
</body>
</html>
)HTML";

}  // namespace sw::coordinator
