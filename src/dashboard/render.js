// @ts-check
// The dashboard's sections, drawn from one reading of /stats, /events and /logs.
import { $, clear, el, fmt, ms, pill, time } from "./dom.js";
import { poolsTable, regionCell } from "./geo.js";
import { windowed } from "./readings.js";

/** @typedef {import("../model/stats").MeshStats} MeshStats */
/** @typedef {import("../model/catalog").HealthEvent} HealthEvent */
/** @typedef {import("../model/log-entry").LogEntry} LogEntry */
/** @typedef {import("./readings.js").Reading} Reading */

const NUMERIC_COLUMNS = new Set(["Weight", "Req/s", "Errors", "p50 ms", "p99 ms", "Total"]);
const ORIGIN_COLUMNS = [
  "Status",
  "Origin",
  "URL",
  "Zone",
  "Weight",
  "Req/s",
  "Errors",
  "p50 ms",
  "p99 ms",
  "Total",
  "Last check",
];

/**
 * One section per service: its routes and a row per origin with status, traffic and last check (and what
 * each checker region sees, when the service has regions), then its pools' state when it has pools.
 * @param {MeshStats} stats
 * @param {readonly Reading[]} history
 */
export function renderServices(stats, history) {
  const root = $("services");
  clear(root);
  if (stats.services.length === 0) {
    root.appendChild(
      el("section", {}, [
        el("h2", { text: "Services" }),
        el("div", { cls: "empty", text: "No services registered yet." }),
      ]),
    );
  }
  for (const s of stats.services) {
    const routes = s.routes.map((r) => (r.host || "*") + (r.path_prefix || "/")).join("  ");
    /** @type {Record<string, number>} */
    const counts = {};
    for (const o of s.origins) counts[o.status] = (counts[o.status] ?? 0) + 1;
    const summary =
      Object.entries(counts)
        .map(([status, n]) => `${n} ${status}`)
        .join(", ") || "no origins";
    const body = el("tbody");
    for (const o of s.origins) {
      const w = windowed(history, `${s.name}/${o.id}`);
      const ratio = w ? w.errorRatio : null;
      const errCell = el("td", {
        cls: `num${ratio !== null && ratio > 0.05 ? " bad" : ""}`,
        text: ratio !== null ? `${fmt(ratio * 100, 1)}%` : "–",
      });
      const check = o.last_error
        ? el("span", { cls: "bad ellipsis short", title: o.last_error, text: `✕ ${o.last_error}` })
        : el("span", { text: o.last_check_ms === null ? "–" : `${ms(o.last_check_ms)} ms` });
      const row = el(
        "tr",
        { cls: `origin s-${o.status}-row`, "data-origin": `${s.name}/${o.id}`, "data-status": o.status },
        [
          el("td", {}, [pill(o.status)]),
          s.regions.length > 0 ? regionCell(o, s.regions) : null,
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
        ],
      );
      body.appendChild(row);
    }
    const head = el(
      "tr",
      {},
      (s.regions.length > 0 ? ["Status", "Regions", ...ORIGIN_COLUMNS.slice(1)] : ORIGIN_COLUMNS).map((h) =>
        el("th", { cls: NUMERIC_COLUMNS.has(h) ? "num" : "", text: h }),
      ),
    );
    const table = el("table", {}, [el("thead", {}, [head]), body]);
    root.appendChild(
      el("section", { "data-service": s.name }, [
        el("h2", {}, [
          el("span", { text: s.name }),
          el("span", { cls: "sub", text: summary }),
          el("span", { cls: "routes", text: routes }),
        ]),
        s.origins.length
          ? el("div", { cls: "scroll" }, [table])
          : el("div", { cls: "empty", text: "No origins registered." }),
        s.pools.length > 0 ? poolsTable(s) : null,
      ]),
    );
  }
}

/**
 * The summary cards: services, routable origins, request rate, error ratio, logs and sinks.
 * @param {MeshStats} stats
 * @param {readonly Reading[]} history
 */
export function renderCards(stats, history) {
  let all = 0;
  let healthy = 0;
  for (const s of stats.services) {
    for (const o of s.origins) {
      all++;
      if (o.status === "healthy" || o.status === "unknown") healthy++;
    }
  }
  $("c-services").textContent = String(stats.services.length);
  $("c-origins").textContent = `${healthy} / ${all}`;
  $("c-origins").className = `value${healthy < all ? " bad" : ""}`;
  let rate = 0;
  let req = 0;
  let err = 0;
  let any = false;
  const newest = history[history.length - 1];
  for (const key of Object.keys(newest ? newest.traffic : {})) {
    const w = windowed(history, key);
    if (w) {
      any = true;
      rate += w.rate;
      req += w.requests;
      err += w.errors;
    }
  }
  $("c-rate").textContent = any ? fmt(rate, 2) : "–";
  $("c-errors").textContent = any && req > 0 ? `${fmt((err / req) * 100, 1)}%` : "–";
  $("c-errors").className = `value${req > 0 && err / req > 0.05 ? " bad" : ""}`;
  $("c-logs").textContent = String(stats.logs.entries);
  const sinks = stats.logs.sinks;
  const failing = sinks.filter((s) => s.failures > 0).length;
  $("c-sinks").textContent =
    sinks.length === 0 ? "none" : `${sinks.length}${failing ? ` (${failing} failing)` : " ok"}`;
  $("c-sinks").className = `value${failing ? " bad" : ""}`;
}

/**
 * The health events, newest first.
 * @param {HealthEvent[]} events
 */
export function renderEvents(events) {
  const list = $("events");
  clear(list);
  if (events.length === 0) list.appendChild(el("li", { cls: "empty", text: "No health transitions yet." }));
  for (const e of events) {
    list.appendChild(
      el("li", {}, [
        el("div", { cls: "what" }, [
          el("span", { cls: "muted", text: time(e.at) }),
          el("span", { cls: "mono", text: `${e.service}/${e.origin}` }),
          pill(e.from),
          el("span", { text: "→" }),
          pill(e.to),
        ]),
        el("div", { cls: "reason", text: e.reason }),
      ]),
    );
  }
}

/**
 * The request-log tail, newest first.
 * @param {LogEntry[]} logs
 */
export function renderLogs(logs) {
  const body = $("logs");
  clear(body);
  if (logs.length === 0) {
    body.appendChild(el("tr", {}, [el("td", { cls: "empty", colspan: "9", text: "No requests logged yet." })]));
  }
  for (const l of logs) {
    body.appendChild(
      el("tr", {}, [
        el("td", { cls: "muted", text: time(l.ts) }),
        el("td", { cls: `st-${String(l.status).charAt(0)}`, text: String(l.status) }),
        el("td", { text: l.method }),
        el("td", { cls: "mono wrap", text: l.host + l.path }),
        el("td", { cls: "mono", text: (l.service || "–") + (l.origin_id ? ` → ${l.origin_id}` : "") }),
        el("td", { cls: `num${l.attempts > 1 ? " warn" : ""}`, text: String(l.attempts) }),
        el("td", { cls: "num", text: ms(l.duration_ms) }),
        el("td", { cls: "muted", text: (l.client_ip || "–") + (l.colo ? ` · ${l.colo}` : "") }),
        el("td", { cls: "bad", text: l.error_code || "" }),
      ]),
    );
  }
}
