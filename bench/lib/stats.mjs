// Percentiles and the summary of one open-loop run.

/** The q-quantile (0–1) of an ascending-sorted array, nearest-rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** p50/p90/p99/p99.9/max/mean of `values` (ms), rounded to µs. */
export function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v) => (v === null ? null : Math.round(v * 1000) / 1000);
  return {
    p50: r(quantile(sorted, 0.5)),
    p90: r(quantile(sorted, 0.9)),
    p99: r(quantile(sorted, 0.99)),
    p999: r(quantile(sorted, 0.999)),
    max: r(sorted.length ? sorted[sorted.length - 1] : null),
    mean: r(sorted.length ? sum / sorted.length : null),
  };
}

/**
 * The result of an open-loop run: counts by outcome, latency from the due
 * time (the headline figures), service time from dispatch, the generator's
 * own send lag, and a per-second timeline.
 */
export function summarize({ latency, service, lag, status, interval, timeoutMs, n }) {
  let ok = 0;
  let okWithin = 0;
  const errors = { status: 0, network: 0, timeout: 0 };
  const seconds = [];
  for (let i = 0; i < n; i++) {
    const s = status[i];
    const good = s >= 200 && s < 400;
    if (good) ok++;
    else if (s === -1) errors.timeout++;
    else if (s === 0) errors.network++;
    else errors.status++;
    if (good && latency[i] <= timeoutMs) okWithin++;
    const sec = Math.floor((i * interval) / 1000);
    const bucket = (seconds[sec] ??= { requests: 0, errors: 0, lat: [] });
    bucket.requests++;
    if (!good) bucket.errors++;
    bucket.lat.push(latency[i]);
  }
  return {
    requests: n,
    ok,
    errors,
    error_count: n - ok,
    success_within_timeout: n === 0 ? null : okWithin / n,
    latency_ms: percentiles(latency),
    service_ms: percentiles(service),
    send_lag_ms: percentiles(lag),
    timeline: seconds.map((b, s) => ({ s, requests: b.requests, errors: b.errors, p99_ms: percentiles(b.lat).p99 })),
  };
}

/** The median of numbers (null for none). */
export function median(values) {
  const v = values.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Several open-loop runs of one contestant (taken with `raw`) as one: counts
 * added up, percentiles over every request of every run, CPU per 1,000
 * requests over all of them, the generator's worst send lag.
 */
export function pool(runs, timeoutMs) {
  const latency = [];
  let requests = 0;
  let ok = 0;
  let okWithin = 0;
  let cpu = 0;
  const errors = { status: 0, network: 0, timeout: 0 };
  for (const r of runs) {
    requests += r.requests;
    ok += r.ok;
    cpu += r.cpu_s;
    for (const k of Object.keys(errors)) errors[k] += r.errors[k];
    r.raw.latency_us.forEach((us, i) => {
      latency.push(us / 1000);
      const s = r.raw.status[i];
      if (s >= 200 && s < 400 && us / 1000 <= timeoutMs) okWithin++;
    });
  }
  return {
    runs: runs.length,
    rate: runs[0]?.rate,
    duration_s: runs.reduce((a, r) => a + r.duration_s, 0),
    requests,
    ok,
    errors,
    error_count: requests - ok,
    success_within_timeout: requests ? okWithin / requests : null,
    latency_ms: percentiles(latency),
    service_p50_ms: median(runs.map((r) => r.service_ms.p50)),
    send_lag_p99_ms: Math.max(...runs.map((r) => r.send_lag_ms.p99)),
    cpu_s_per_1k: requests ? Math.round((cpu * 1e6) / requests) / 1000 : null,
    timeline: runs.length === 1 ? runs[0].timeline : undefined,
  };
}
