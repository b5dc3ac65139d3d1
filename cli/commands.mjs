// @ts-check
// The resource commands: status, services, origins, health, events, logs.
import { call, get } from "./client.mjs";
import { follow } from "./follow.mjs";
import { c, status, table } from "./output.mjs";

/** @typedef {{ json: boolean }} Global */
/** @typedef {(args: any[], global: Global) => Promise<void>} Action */

const print = (/** @type {unknown} */ v) =>
  process.stdout.write(`${typeof v === "string" ? v : JSON.stringify(v, null, 2)}\n`);
const out = (/** @type {Global} */ g, /** @type {unknown} */ data, /** @type {() => string} */ human) =>
  print(g.json ? data : human());

/** @type {Record<string, Action>} */
export const actions = {
  async status(_, g) {
    const catalog = await get("/catalog");
    const counts = /** @type {Record<string, number>} */ ({});
    for (const s of Object.values(catalog.services))
      for (const o of /** @type {any} */ (s).origins) counts[o.status] = (counts[o.status] ?? 0) + 1;
    const services = Object.keys(catalog.services).length;
    out(g, { version: catalog.version, services, origins: counts }, () =>
      [
        `${c.bold("version")}   ${catalog.version}`,
        `${c.bold("services")}  ${services}`,
        `${c.bold("origins")}   ${
          Object.entries(counts)
            .map(([k, n]) => `${n} ${status(k)}`)
            .join(", ") || "none"
        }`,
      ].join("\n"),
    );
  },

  async servicesLs(_, g) {
    const [{ services }, catalog] = await Promise.all([get("/services"), get("/catalog")]);
    out(g, { services }, () =>
      table(
        ["NAME", "ROUTES", "POLICY", "HEALTHY", "ORIGINS"],
        services.map((/** @type {any} */ s) => {
          const origins = catalog.services[s.name]?.origins ?? [];
          const healthy = origins.filter((/** @type {any} */ o) => o.status === "healthy").length;
          const routes = s.routes.map((/** @type {any} */ r) => `${r.host ?? "*"}${r.path_prefix}`).join(",");
          return [s.name, routes, s.load_balancer.policy, healthy, origins.length];
        }),
      ),
    );
  },

  async servicesGet([name], g) {
    const s = await get("/services/{name}", { path: { name } });
    out(g, s, () => JSON.stringify(s, null, 2));
  },

  async servicesRm([name], g) {
    await call("DELETE", "/services/{name}", { path: { name } });
    out(g, { deleted: name }, () => `${c.red("deleted")} service ${name}`);
  },

  async originsLs([service], g) {
    const { origins } = await get("/services/{name}/origins", { path: { name: service } });
    out(g, { origins }, () =>
      table(
        ["ID", "URL", "WEIGHT", "ZONE", "STATUS", "LAST ERROR"],
        origins.map((/** @type {any} */ o) => [
          o.id,
          o.url,
          o.weight,
          o.zone,
          status(o.health.status),
          o.health.last_error,
        ]),
      ),
    );
  },

  async originsAdd([service, url, opts], g) {
    const body = { url, weight: Number(opts.weight ?? 1), ...(opts.zone ? { zone: opts.zone } : {}) };
    const { json } = opts.id
      ? await call("PUT", "/services/{name}/origins/{id}", { path: { name: service, id: opts.id }, body })
      : await call("POST", "/services/{name}/origins", { path: { name: service }, body });
    out(g, json, () => `${c.green("added")} origin ${json.id} (${json.url}) to ${service}`);
  },

  async originsDrain([service, id], g) {
    await patch(service, id, { drain: true }, g, `${c.yellow("draining")} ${service}/${id}`);
  },

  async originsUndrain([service, id], g) {
    await patch(service, id, { drain: false }, g, `${c.green("undrained")} ${service}/${id}`);
  },

  async originsWeight([service, id, weight], g) {
    await patch(service, id, { weight: Number(weight) }, g, `weight of ${service}/${id} is now ${weight}`);
  },

  async originsRm([service, id], g) {
    await call("DELETE", "/services/{name}/origins/{id}", { path: { name: service, id } });
    out(g, { deleted: `${service}/${id}` }, () => `${c.red("deleted")} origin ${service}/${id}`);
  },

  async health([service], g) {
    const h = await get("/services/{name}/health", { path: { name: service } });
    out(g, h, () => {
      const counts = Object.entries(h.counts)
        .filter(([, n]) => n !== 0)
        .map(([k, n]) => `${n} ${status(k)}`)
        .join(", ");
      const rows = h.origins.map((/** @type {any} */ o) => [
        o.id,
        status(o.health.status),
        o.health.last_check_ms === null ? "-" : `${o.health.last_check_ms}ms`,
        o.health.regions
          ? Object.entries(o.health.regions)
              .map(([r, v]) => `${r}:${/** @type {any} */ (v).status}`)
              .join(" ")
          : "-",
        o.health.last_error,
      ]);
      return `${c.bold(service)}: ${counts || "no origins"}\n${table(["ORIGIN", "STATUS", "CHECK", "REGIONS", "LAST ERROR"], rows)}`;
    });
  },

  async events([opts], g) {
    const query = { limit: Number(opts.limit ?? 20), ...(opts.service ? { service: opts.service } : {}) };
    await follow("/events", query, "events", (e) => print(g.json ? JSON.stringify(e) : eventLine(e)), {
      follow: !!opts.follow,
      interval: 500,
    });
  },

  async logs([opts], g) {
    await follow(
      "/logs",
      { limit: Number(opts.limit ?? 20) },
      "logs",
      (e) => print(g.json ? JSON.stringify(e) : logLine(e)),
      {
        follow: !!opts.follow,
        interval: 1000,
      },
    );
  },
};

async function patch(
  /** @type {string} */ service,
  /** @type {string} */ id,
  /** @type {object} */ body,
  /** @type {Global} */ g,
  /** @type {string} */ said,
) {
  const { json } = await call("PATCH", "/services/{name}/origins/{id}", { path: { name: service, id }, body });
  out(g, json, () => said);
}

/** A health transition on one line. */
export function eventLine(/** @type {any} */ e) {
  return `${c.dim(e.at)} ${c.bold(`${e.service}/${e.origin}`)} ${status(e.from)} → ${status(e.to)}  ${c.dim(e.reason)}`;
}

function logLine(/** @type {any} */ e) {
  const st = Number(e.status);
  const colour = st >= 500 ? c.red : st >= 400 ? c.yellow : c.green;
  return `${c.dim(e.ts)} ${colour(String(e.status))} ${e.method} ${e.host ?? ""}${e.path ?? ""} ${c.dim(`${e.service ?? "-"}/${e.origin_id ?? "-"} ${e.duration_ms ?? ""}ms`)}`;
}
