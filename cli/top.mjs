// @ts-check
// `flaremesh top`: per-service req/s, success rate and latency percentiles from two readings of /stats
// (the columns of `linkerd viz stat`), computed as the dashboard computes them.
import { histogramQuantile } from "../src/dashboard/quantile.js";
import { get } from "./client.mjs";
import { c, table } from "./output.mjs";

/** @typedef {{ requests: number; errors: number; latency: { le: string[]; counts: number[] } }} Traffic */

/**
 * A service's traffic: its origins' and what no origin answered, summed.
 * @param {{ origins: Traffic[]; unattributed: Traffic }} s
 * @returns {Traffic}
 */
function total(s) {
  const all = [...s.origins, s.unattributed];
  const le = s.unattributed.latency.le;
  return {
    requests: all.reduce((n, t) => n + t.requests, 0),
    errors: all.reduce((n, t) => n + t.errors, 0),
    latency: { le, counts: le.map((_, i) => all.reduce((n, t) => n + (t.latency.counts[i] ?? 0), 0)) },
  };
}

/**
 * Each service's figures between two readings (or since the mesh started, without `prev`).
 * @param {any} prev
 * @param {any} next
 */
export function serviceRows(prev, next) {
  const seconds = prev ? (Date.parse(next.at) - Date.parse(prev.at)) / 1000 : null;
  return next.services.map((/** @type {any} */ s) => {
    const b = total(s);
    const old = prev?.services.find((/** @type {any} */ p) => p.name === s.name);
    const a = old
      ? total(old)
      : { requests: 0, errors: 0, latency: { le: b.latency.le, counts: b.latency.counts.map(() => 0) } };
    const req = b.requests - a.requests;
    const err = b.errors - a.errors;
    const latency = { le: b.latency.le, counts: b.latency.counts.map((n, i) => n - (a.latency.counts[i] ?? 0)) };
    const q = (/** @type {number} */ x) => histogramQuantile(latency, x);
    return {
      service: s.name,
      origins: s.origins.length,
      rps: seconds && seconds > 0 ? req / seconds : null,
      requests: req,
      success: req > 0 ? 1 - err / req : null,
      p50_ms: q(0.5),
      p95_ms: q(0.95),
      p99_ms: q(0.99),
      errors: err,
    };
  });
}

const ms = (/** @type {number | null} */ v) => (v === null ? "-" : `${v < 10 ? v.toFixed(1) : Math.round(v)}ms`);

/** The rows as the table a person watches. */
export function renderTop(/** @type {ReturnType<typeof serviceRows>} */ rows) {
  return table(
    ["SERVICE", "ORIGINS", "REQ/S", "SUCCESS", "P50", "P95", "P99", "ERRORS"],
    rows.map((/** @type {any} */ r) => [
      r.service,
      r.origins,
      r.rps === null ? "-" : r.rps.toFixed(1),
      r.success === null ? "-" : (r.success < 0.99 ? c.red : c.green)(`${(r.success * 100).toFixed(2)}%`),
      ms(r.p50_ms),
      ms(r.p95_ms),
      ms(r.p99_ms),
      r.errors > 0 ? c.red(String(r.errors)) : "0",
    ]),
  );
}

/**
 * Refreshes in place every `interval` ms on a terminal; with `once` (or stdout not a terminal) prints one table
 * over one interval and returns.
 * @param {{ interval: number; once: boolean; json: boolean }} opts
 */
export async function top(opts) {
  let prev = await get("/stats");
  const live = !opts.once && process.stdout.isTTY && !opts.json;
  for (;;) {
    await new Promise((r) => setTimeout(r, opts.interval));
    const next = await get("/stats");
    const rows = serviceRows(prev, next);
    if (opts.json) process.stdout.write(`${JSON.stringify({ at: next.at, services: rows })}\n`);
    else {
      const head = c.dim(
        `flaremesh top — ${next.at} — every ${opts.interval / 1000}s${live ? ", ctrl-c to quit" : ""}`,
      );
      process.stdout.write(`${live ? "\x1b[H\x1b[2J" : ""}${head}\n${renderTop(rows)}\n`);
    }
    if (!live) return;
    prev = next;
  }
}
