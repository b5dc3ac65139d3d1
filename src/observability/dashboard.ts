/**
 * The dashboard at `/_mesh/ui`: one static page, inline CSS and script, no
 * external assets. It asks for a token with `mesh:read`, keeps it in
 * sessionStorage, and every 3 s reads `/stats`, `/events` and `/logs`.
 * Rates, error ratios and p50/p99 are computed from the difference between
 * the newest reading and one up to a minute older (histogram buckets, as
 * Prometheus' histogram_quantile does). Everything from the API is
 * rendered with textContent: log paths are attacker-controlled.
 */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flaremesh</title>
<style>
  :root { --bg: #f6f8fa; --panel: #fff; --ink: #1f2328; --muted: #656d76; --line: #d0d7de;
          --healthy: #1a7f37; --unknown: #6e7781; --unhealthy: #cf222e; --ejected: #bc4c00; --draining: #0969da; --disabled: #57606a; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #24292f; color: #fff; }
  header h1 { font-size: 16px; margin: 0; font-weight: 600; }
  header .spacer { flex: 1; }
  header #updated { color: #c9d1d9; font-size: 12px; }
  header button { background: transparent; color: #fff; border: 1px solid #57606a; border-radius: 6px; padding: 3px 10px; cursor: pointer; }
  main { padding: 16px 20px; max-width: 1600px; margin: 0 auto; }
  .banner { padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; background: #fff8c5; border: 1px solid #d4a72c; }
  .banner.error { background: #ffebe9; border-color: #ff8182; }
  .hidden { display: none !important; }
  #login { max-width: 460px; margin: 80px auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 24px; }
  #login h2 { margin-top: 0; font-size: 18px; }
  #login input { width: 100%; padding: 8px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; border: 1px solid var(--line); border-radius: 6px; }
  #login button { margin-top: 12px; padding: 7px 16px; background: #1f883d; color: #fff; border: 0; border-radius: 6px; font-weight: 600; cursor: pointer; }
  #login p { color: var(--muted); }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 16px; }
  .card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .grid { display: grid; grid-template-columns: minmax(0, 2fr) minmax(300px, 1fr); gap: 16px; align-items: start; }
  @media (max-width: 1100px) { .grid { grid-template-columns: 1fr; } }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 16px; overflow: hidden; }
  section > h2 { font-size: 14px; margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line); background: #f6f8fa; display: flex; gap: 10px; align-items: baseline; }
  section > h2 .sub { color: var(--muted); font-weight: 400; font-size: 12px; }
  .empty { padding: 14px; color: var(--muted); }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
  th { font-size: 12px; color: var(--muted); font-weight: 600; }
  td.num, th.num { text-align: right; }
  td.wrap { white-space: normal; word-break: break-all; }
  .ellipsis { display: inline-block; max-width: 190px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
  .scroll { overflow-x: auto; }
  .ellipsis.short { max-width: 130px; }
  tr:last-child td { border-bottom: 0; }
  .pill { display: inline-flex; align-items: center; gap: 6px; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; }
  .pill::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: rgba(255,255,255,.85); }
  tr.origin td:first-child { border-left: 4px solid var(--unknown); }
  .s-healthy { background: var(--healthy); } tr.origin.s-healthy-row td:first-child { border-left-color: var(--healthy); }
  .s-unknown { background: var(--unknown); } tr.origin.s-unknown-row td:first-child { border-left-color: var(--unknown); }
  .s-unhealthy { background: var(--unhealthy); } tr.origin.s-unhealthy-row td:first-child { border-left-color: var(--unhealthy); }
  .s-ejected { background: var(--ejected); } tr.origin.s-ejected-row td:first-child { border-left-color: var(--ejected); }
  .s-draining { background: var(--draining); } tr.origin.s-draining-row td:first-child { border-left-color: var(--draining); }
  .s-disabled { background: var(--disabled); } tr.origin.s-disabled-row td:first-child { border-left-color: var(--disabled); }
  .routes { color: var(--muted); font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
  .mono { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
  .muted { color: var(--muted); }
  .bad { color: var(--unhealthy); font-weight: 600; }
  .warn { color: var(--ejected); }
  .st-2 { color: var(--healthy); } .st-3 { color: var(--draining); } .st-4 { color: var(--ejected); } .st-5 { color: var(--unhealthy); font-weight: 600; }
  ul.events { list-style: none; margin: 0; padding: 0; max-height: 520px; overflow: auto; }
  ul.events li { padding: 7px 14px; border-bottom: 1px solid #eaeef2; }
  ul.events .what { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
  ul.events .reason { color: var(--muted); font-size: 12px; }
  .logs { max-height: 420px; overflow: auto; }
</style>
</head>
<body>
<header>
  <h1>flaremesh</h1>
  <span id="updated"></span>
  <span class="spacer"></span>
  <button id="signout" class="hidden" type="button">Sign out</button>
</header>
<main>
  <div id="banner" class="banner hidden"></div>
  <form id="login" class="hidden" autocomplete="off">
    <h2>Connect to the mesh</h2>
    <p>Paste an admin token with the <code>mesh:read</code> scope (e.g. from <code>npm run token</code>). It stays in this tab only (sessionStorage).</p>
    <input id="token" name="token" type="password" placeholder="eyJhbGciOi…" spellcheck="false" aria-label="Admin token">
    <button id="connect" type="submit">Connect</button>
  </form>
  <div id="dash" class="hidden">
    <div class="cards">
      <div class="card"><div class="label">Services</div><div class="value" id="c-services">–</div></div>
      <div class="card"><div class="label">Origins routable</div><div class="value" id="c-origins">–</div></div>
      <div class="card"><div class="label">Requests / s</div><div class="value" id="c-rate">–</div></div>
      <div class="card"><div class="label">Errors (5xx)</div><div class="value" id="c-errors">–</div></div>
      <div class="card"><div class="label">Logs buffered</div><div class="value" id="c-logs">–</div></div>
      <div class="card"><div class="label">Log sinks</div><div class="value" id="c-sinks">–</div></div>
    </div>
    <div class="grid">
      <div id="services"></div>
      <div>
        <section><h2>Health events <span class="sub">newest first</span></h2><ul class="events" id="events"></ul></section>
      </div>
    </div>
    <section>
      <h2>Request log <span class="sub">newest first</span></h2>
      <div class="logs"><table>
        <thead><tr><th>Time</th><th>Status</th><th>Method</th><th>Host / path</th><th>Service → origin</th><th class="num">Tries</th><th class="num">ms</th><th>Client</th><th>Error</th></tr></thead>
        <tbody id="logs"></tbody>
      </table></div>
    </section>
  </div>
</main>
<script>
(function () {
  "use strict";
  var KEY = "flaremesh.token";
  var API = "/_mesh/api/v1";
  var REFRESH_MS = 3000;
  var WINDOW_MS = 60000;
  var history = [];
  var timer = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pill(status) { return el("span", { cls: "pill s-" + status, text: status }); }
  function fmt(n, digits) { return n === null || n === undefined || !isFinite(n) ? "–" : n.toFixed(digits); }
  function ms(n) { return n === null || n === undefined ? "–" : (n < 10 ? n.toFixed(1) : Math.round(n).toString()); }
  function time(iso) { var d = new Date(iso); return isNaN(d) ? "" : d.toLocaleTimeString(); }

  function banner(text, isError) {
    var b = $("banner");
    if (!text) { b.classList.add("hidden"); return; }
    b.textContent = text;
    b.className = "banner" + (isError ? " error" : "");
  }

  function showLogin(message) {
    stop();
    $("dash").classList.add("hidden");
    $("signout").classList.add("hidden");
    $("login").classList.remove("hidden");
    banner(message || "", true);
    $("token").focus();
  }

  function showDash() {
    $("login").classList.add("hidden");
    $("dash").classList.remove("hidden");
    $("signout").classList.remove("hidden");
  }

  function get(path) {
    return fetch(API + path, { headers: { authorization: "Bearer " + sessionStorage.getItem(KEY) }, cache: "no-store" }).then(function (res) {
      if (res.status === 401) throw { auth: "The token was rejected (expired or invalid). Paste a new one." };
      if (res.status === 403) throw { auth: "The token lacks the mesh:read scope." };
      if (!res.ok) throw new Error(path + " answered HTTP " + res.status);
      return res.json();
    });
  }

  // Quantile of the difference of two cumulative histograms, linear within a bucket.
  function quantile(le, counts, q) {
    var total = counts[counts.length - 1] || 0;
    if (total <= 0) return null;
    var rank = q * total, prevLe = 0, prevCount = 0;
    for (var i = 0; i < le.length; i++) {
      var bound = le[i] === "+Inf" ? Infinity : Number(le[i]);
      if (counts[i] >= rank) {
        if (bound === Infinity) return prevLe * 1000;
        var inBucket = counts[i] - prevCount;
        return (prevLe + (bound - prevLe) * (inBucket ? (rank - prevCount) / inBucket : 1)) * 1000;
      }
      prevLe = bound; prevCount = counts[i];
    }
    return prevLe * 1000;
  }

  function traffic(stats) {
    var map = {};
    stats.services.forEach(function (s) { s.origins.forEach(function (o) { map[s.name + "/" + o.id] = o; }); map[s.name + "/"] = s.unattributed; });
    map["/"] = stats.unrouted;
    return map;
  }

  // Rate, error ratio and percentiles over the last minute (or since the page opened).
  function windowed(key, now) {
    var oldest = history[0], newest = history[history.length - 1];
    if (!oldest || oldest === newest) return null;
    var a = oldest.traffic[key], b = newest.traffic[key];
    if (!b) return null;
    var seconds = (newest.t - oldest.t) / 1000;
    var req = b.requests - (a ? a.requests : 0);
    var err = b.errors - (a ? a.errors : 0);
    var counts = b.latency.counts.map(function (c, i) { return c - (a ? a.latency.counts[i] : 0); });
    return { rate: req / seconds, errorRatio: req > 0 ? err / req : null, p50: quantile(b.latency.le, counts, 0.5), p99: quantile(b.latency.le, counts, 0.99), requests: req, errors: err };
  }

  function renderServices(stats) {
    var root = $("services");
    clear(root);
    if (stats.services.length === 0) root.appendChild(el("section", {}, [el("h2", { text: "Services" }), el("div", { cls: "empty", text: "No services registered yet." })]));
    stats.services.forEach(function (s) {
      var routes = s.routes.map(function (r) { return (r.host || "*") + (r.path_prefix || "/"); }).join("  ");
      var counts = {};
      s.origins.forEach(function (o) { counts[o.status] = (counts[o.status] || 0) + 1; });
      var summary = Object.keys(counts).map(function (k) { return counts[k] + " " + k; }).join(", ") || "no origins";
      var body = el("tbody");
      s.origins.forEach(function (o) {
        var w = windowed(s.name + "/" + o.id);
        var errCell = el("td", { cls: "num" + (w && w.errorRatio > 0.05 ? " bad" : ""), text: w && w.errorRatio !== null ? fmt(w.errorRatio * 100, 1) + "%" : "–" });
        var check = o.last_error ? el("span", { cls: "bad ellipsis short", title: o.last_error, text: "✕ " + o.last_error }) : el("span", { text: o.last_check_ms === null ? "–" : ms(o.last_check_ms) + " ms" });
        var row = el("tr", { cls: "origin s-" + o.status + "-row", "data-origin": s.name + "/" + o.id, "data-status": o.status }, [
          el("td", {}, [pill(o.status)]),
          el("td", { cls: "mono", text: o.id }),
          el("td", { cls: "mono" }, [el("span", { cls: "ellipsis", title: o.url, text: o.url })]),
          el("td", { text: o.zone || "–" }),
          el("td", { cls: "num", text: String(o.weight) }),
          el("td", { cls: "num", text: w ? fmt(w.rate, 2) : "–" }),
          errCell,
          el("td", { cls: "num", text: w && w.p50 !== null ? ms(w.p50) : "–" }),
          el("td", { cls: "num", text: w && w.p99 !== null ? ms(w.p99) : "–" }),
          el("td", { cls: "num", text: String(o.requests) }),
          el("td", {}, [check]),
        ]);
        body.appendChild(row);
      });
      var table = el("table", {}, [
        el("thead", {}, [el("tr", {}, ["Status", "Origin", "URL", "Zone", "Weight", "Req/s", "Errors", "p50 ms", "p99 ms", "Total", "Last check"].map(function (h, i) {
          return el("th", { cls: i >= 4 && i <= 9 ? "num" : "", text: h });
        }))]),
        body,
      ]);
      root.appendChild(el("section", { "data-service": s.name }, [
        el("h2", {}, [el("span", { text: s.name }), el("span", { cls: "sub", text: summary }), el("span", { cls: "routes", text: routes })]),
        s.origins.length ? el("div", { cls: "scroll" }, [table]) : el("div", { cls: "empty", text: "No origins registered." }),
      ]));
    });
  }

  function renderCards(stats) {
    var all = [], healthy = 0;
    stats.services.forEach(function (s) { s.origins.forEach(function (o) { all.push(o); if (o.status === "healthy" || o.status === "unknown") healthy++; }); });
    $("c-services").textContent = String(stats.services.length);
    $("c-origins").textContent = healthy + " / " + all.length;
    $("c-origins").className = "value" + (healthy < all.length ? " bad" : "");
    var rate = 0, req = 0, err = 0, any = false;
    Object.keys(history[history.length - 1].traffic).forEach(function (key) {
      var w = windowed(key);
      if (w) { any = true; rate += w.rate; req += w.requests; err += w.errors; }
    });
    $("c-rate").textContent = any ? fmt(rate, 2) : "–";
    $("c-errors").textContent = any && req > 0 ? fmt((err / req) * 100, 1) + "%" : "–";
    $("c-errors").className = "value" + (req > 0 && err / req > 0.05 ? " bad" : "");
    $("c-logs").textContent = String(stats.logs.entries);
    var failing = stats.logs.sinks.filter(function (s) { return s.failures > 0; }).length;
    $("c-sinks").textContent = stats.logs.sinks.length === 0 ? "none" : stats.logs.sinks.length + (failing ? " (" + failing + " failing)" : " ok");
    $("c-sinks").className = "value" + (failing ? " bad" : "");
  }

  function renderEvents(events) {
    var list = $("events");
    clear(list);
    if (events.length === 0) list.appendChild(el("li", { cls: "empty", text: "No health transitions yet." }));
    events.forEach(function (e) {
      list.appendChild(el("li", {}, [
        el("div", { cls: "what" }, [el("span", { cls: "muted", text: time(e.at) }), el("span", { cls: "mono", text: e.service + "/" + e.origin }), pill(e.from), el("span", { text: "→" }), pill(e.to)]),
        el("div", { cls: "reason", text: e.reason }),
      ]));
    });
  }

  function renderLogs(logs) {
    var body = $("logs");
    clear(body);
    if (logs.length === 0) body.appendChild(el("tr", {}, [el("td", { cls: "empty", colspan: "9", text: "No requests logged yet." })]));
    logs.forEach(function (l) {
      body.appendChild(el("tr", {}, [
        el("td", { cls: "muted", text: time(l.ts) }),
        el("td", { cls: "st-" + String(l.status).charAt(0), text: String(l.status) }),
        el("td", { text: l.method }),
        el("td", { cls: "mono wrap", text: l.host + l.path }),
        el("td", { cls: "mono", text: (l.service || "–") + (l.origin_id ? " → " + l.origin_id : "") }),
        el("td", { cls: "num" + (l.attempts > 1 ? " warn" : ""), text: String(l.attempts) }),
        el("td", { cls: "num", text: ms(l.duration_ms) }),
        el("td", { cls: "muted", text: (l.client_ip || "–") + (l.colo ? " · " + l.colo : "") }),
        el("td", { cls: "bad", text: l.error_code || "" }),
      ]));
    });
  }

  function refresh() {
    return Promise.all([get("/stats"), get("/events?limit=30"), get("/logs?limit=50")]).then(function (r) {
      var now = Date.now();
      history.push({ t: now, traffic: traffic(r[0]) });
      while (history.length > 2 && now - history[1].t >= WINDOW_MS) history.shift();
      showDash();
      banner("");
      renderCards(r[0]);
      renderServices(r[0]);
      renderEvents(r[1].events);
      renderLogs(r[2].logs);
      $("updated").textContent = "updated " + new Date(now).toLocaleTimeString() + " · every " + REFRESH_MS / 1000 + " s";
      document.body.setAttribute("data-refreshed", String(now));
    }).catch(function (err) {
      if (err && err.auth) { sessionStorage.removeItem(KEY); showLogin(err.auth); return; }
      banner("Could not reach the mesh: " + (err && err.message ? err.message : err) + " — retrying.", true);
    });
  }

  function schedule() {
    stop();
    timer = setTimeout(function () { refresh().then(function () { if (timer !== null) schedule(); }); }, REFRESH_MS);
  }
  function stop() { if (timer !== null) clearTimeout(timer); timer = null; }
  function start() { history = []; refresh().then(function () { if (sessionStorage.getItem(KEY)) schedule(); }); }

  $("login").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var token = $("token").value.trim().replace(/^Bearer\s+/i, "");
    if (!token) return;
    sessionStorage.setItem(KEY, token);
    $("token").value = "";
    start();
  });
  $("signout").addEventListener("click", function () { sessionStorage.removeItem(KEY); showLogin(""); });

  if (sessionStorage.getItem(KEY)) start(); else showLogin("");
})();
</script>
</body>
</html>
`;
