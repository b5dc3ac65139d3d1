// @ts-check
// What the dashboard derives from its readings of /stats: per-origin rates, error ratios and
// percentiles from the difference between the newest reading and the oldest one kept.
import { histogramQuantile } from "./quantile.js";

/** @typedef {import("../model/stats").MeshStats} MeshStats */
/** @typedef {import("../model/stats").TrafficStats} TrafficStats */
/** @typedef {{ t: number; traffic: Record<string, TrafficStats> }} Reading */
/** @typedef {{ rate: number; errorRatio: number | null; p50: number | null; p99: number | null; requests: number; errors: number }} Window */

/**
 * Every origin's traffic (`service/origin`), each service's unattributed traffic (`service/`) and the unrouted (`/`).
 * @param {MeshStats} stats
 * @returns {Record<string, TrafficStats>}
 */
export function traffic(stats) {
  /** @type {Record<string, TrafficStats>} */
  const map = {};
  for (const s of stats.services) {
    for (const o of s.origins) map[`${s.name}/${o.id}`] = o;
    map[`${s.name}/`] = s.unattributed;
  }
  map["/"] = stats.unrouted;
  return map;
}

/**
 * Rate, error ratio and percentiles over the readings kept (the last minute, or since the page opened).
 * @param {readonly Reading[]} history oldest first
 * @param {string} key
 * @returns {Window | null}
 */
export function windowed(history, key) {
  const oldest = history[0];
  const newest = history[history.length - 1];
  if (!oldest || !newest || oldest === newest) return null;
  const a = oldest.traffic[key];
  const b = newest.traffic[key];
  if (!b) return null;
  const seconds = (newest.t - oldest.t) / 1000;
  const req = b.requests - (a ? a.requests : 0);
  const err = b.errors - (a ? a.errors : 0);
  const counts = b.latency.counts.map((c, i) => c - (a ? (a.latency.counts[i] ?? 0) : 0));
  const latency = { le: b.latency.le, counts };
  return {
    rate: req / seconds,
    errorRatio: req > 0 ? err / req : null,
    p50: histogramQuantile(latency, 0.5),
    p99: histogramQuantile(latency, 0.99),
    requests: req,
    errors: err,
  };
}
