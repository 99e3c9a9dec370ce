#pragma once
// The web console: one static page that reads the JSON API. The page holds no data and is served
// without a token; it asks for an API token, keeps it in sessionStorage (gone when the tab
// closes), sends it as a bearer token on every call, and says so plainly on 401/403.

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
 #login { border: 1px solid #d8dce4; padding: 1rem; max-width: 32rem; }
 #who { float: right; font-size: .85rem; }
</style>
</head>
<body>
<h1>Stockwire console <span id="who" hidden><span id="whoname"></span> <button id="logout">Log out</button></span></h1>
<div id="err"></div>
<form id="login" hidden>
<p>Enter an API token (<code>stockwire-coordinator token create --db PATH --name NAME --role viewer</code>).</p>
<p><label>Token <input id="token" type="password" autocomplete="off" size="50"></label>
<button id="signin" type="submit">Log in</button></p>
</form>
<div id="main" hidden>
<h2>Devices</h2>
<table id="devices"><thead><tr><th>device</th><th>kind</th><th>location</th><th>state</th>
<th class="num">last applied seq</th><th class="num">queue</th><th class="num">oldest unsynced (s)</th>
<th>last seen</th></tr></thead><tbody></tbody></table>
<h2>Stock</h2>
<p><label>SKU <input id="sku" value="" placeholder="SKU-1"></label>
<label>or location <input id="loc" value="" placeholder="store-1"></label>
<button id="look">Look up</button></p>
<table id="stock"><thead><tr><th>location</th><th>sku</th><th class="num">on hand</th><th>last count</th></tr></thead><tbody></tbody></table>
</div>
<script>
const kTokenKey = 'stockwire.token';
function token() { return sessionStorage.getItem(kTokenKey) || ''; }
function showLogin(message) {
  document.getElementById('login').hidden = false;
  document.getElementById('main').hidden = true;
  document.getElementById('who').hidden = true;
  document.getElementById('err').textContent = message || '';
}
function showMain() {
  document.getElementById('login').hidden = true;
  document.getElementById('main').hidden = false;
  document.getElementById('who').hidden = false;
}
// Every call goes through here: the token as a bearer token; 401 sends back to the login.
async function api(path) {
  const r = await fetch(path, {headers: {'Authorization': 'Bearer ' + token()}});
  if (r.status === 401) {
    sessionStorage.removeItem(kTokenKey);
    showLogin('The token was refused (unknown or revoked): log in again.');
    throw new Error('unauthorized');
  }
  if (r.status === 403) {
    const j = await r.json().catch(() => ({}));
    document.getElementById('err').textContent = 'Not allowed with this token: ' + ((j.error && j.error.message) || path);
    throw new Error('forbidden');
  }
  return r.json();
}
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
async function devices() {
  try {
    if (!token()) return;
    const j = await api('/v1/devices');
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
  } catch (e) {
    if (e.message !== 'unauthorized' && e.message !== 'forbidden') {
      document.getElementById('err').textContent = 'cannot reach the coordinator: ' + e;
    }
  }
}
async function stock() {
  const sku = document.getElementById('sku').value.trim(), loc = document.getElementById('loc').value.trim();
  if (!sku && !loc) return;
  const q = sku ? 'sku=' + encodeURIComponent(sku) : 'location=' + encodeURIComponent(loc);
  let j;
  try { j = await api('/v1/stock?' + q); } catch (e) { return; }
  const tb = document.querySelector('#stock tbody'); tb.innerHTML = '';
  for (const row of (j.locations || j.skus || [])) {
    const tr = document.createElement('tr');
    cell(tr, row.location ?? j.location); cell(tr, row.sku ?? j.sku); cell(tr, row.on_hand, 'num');
    cell(tr, row.last_count_at_ms ? new Date(row.last_count_at_ms).toISOString() + ' (' + row.last_counted + ')' : '');
    tb.appendChild(tr);
  }
}
document.getElementById('look').onclick = stock;
document.getElementById('login').onsubmit = async (ev) => {
  ev.preventDefault();
  const t = document.getElementById('token').value.trim();
  if (!t) return;
  sessionStorage.setItem(kTokenKey, t);
  document.getElementById('token').value = '';
  document.getElementById('err').textContent = '';
  try {
    await api('/v1/devices');
    document.getElementById('whoname').textContent = 'logged in';
    showMain();
    devices();
  } catch (e) {}
};
document.getElementById('logout').onclick = () => {
  sessionStorage.removeItem(kTokenKey);
  showLogin('Logged out.');
};
if (token()) { showMain(); document.getElementById('whoname').textContent = 'logged in'; devices(); } else { showLogin(''); }
setInterval(devices, 2000);
</script>
</body>
</html>
)HTML";

}  // namespace sw::coordinator
