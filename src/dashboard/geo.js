// @ts-check
// What the dashboard shows of SPEC §7: each origin's health per checker region, and each pool's state.
import { el, pill } from "./dom.js";

/** @typedef {import("../model/stats").MeshStats["services"][number]} ServiceStats */
/** @typedef {ServiceStats["origins"][number]} OriginStats */
/** @typedef {ServiceStats["pools"][number]} PoolStats */

/**
 * One chip per region of the service, coloured by what that region's checker sees of the origin;
 * the tooltip has its last error and latency.
 * @param {OriginStats} o
 * @param {readonly string[]} regions the service's `health_check.regions`, in order
 */
export function regionCell(o, regions) {
  /** @type {Record<string, { status: string, latency_ms: number | null, last_error: string | null }>} */
  const views = o.regions ?? {};
  const chips = regions.map((r) => {
    const v = views[r] ?? { status: "unknown", latency_ms: null, last_error: null };
    const detail = [v.status, v.last_error, v.latency_ms === null ? null : `${Math.round(v.latency_ms)} ms`];
    return el("span", {
      cls: `region s-${v.status}`,
      "data-region": r,
      "data-region-status": v.status,
      title: `${r}: ${detail.filter((x) => x !== null).join(" · ")}`,
      text: r,
    });
  });
  return el("td", {}, [el("span", { cls: "regions" }, chips)]);
}

/**
 * The service's pools in failover order: state, name, priority, eligible / total origins, minimum.
 * @param {ServiceStats} s
 */
export function poolsTable(s) {
  const head = el(
    "tr",
    {},
    ["State", "Pool", "Priority", "Eligible / total", "Minimum"].map((h, i) =>
      el("th", { cls: i >= 2 ? "num" : "", text: h }),
    ),
  );
  const rows = s.pools.map((p) =>
    el("tr", { "data-pool": `${s.name}/${p.name}`, "data-pool-healthy": String(p.healthy) }, [
      el("td", {}, [pill(p.healthy ? "healthy" : "unhealthy")]),
      el("td", { cls: "mono", text: p.name }),
      el("td", { cls: "num", text: String(p.priority) }),
      el("td", { cls: `num${p.healthy ? "" : " bad"}`, text: `${p.eligible} / ${p.total}` }),
      el("td", { cls: "num", text: String(p.minimum_origins) }),
    ]),
  );
  return el("div", { cls: "scroll pools" }, [
    el("h3", { text: "Pools" }),
    el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)]),
  ]);
}
