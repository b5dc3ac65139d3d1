import { describe, expect, inject, it } from "vitest";
import { registry } from "../../src/clients/registry";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import { api, env } from "../helpers/admin";

describe("GET /stats", () => {
  it("answers per-service traffic and log-buffer totals", async () => {
    const res = await api("GET", "/stats", undefined, { scope: "mesh:read" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      services: expect.any(Array),
      unrouted: { requests: expect.any(Number) },
      logs: { entries: expect.any(Number), sinks: expect.any(Array) },
    });
  });

  it("shows a service's regions with each origin's per-region view, and its pools' state", async () => {
    // Origins on the scripted local origin, registered past the API's production guard.
    const url = `http://127.0.0.1:${inject("originPort")}`;
    await registry(env).putService(
      "stats-geo",
      ServiceInput.parse({
        routes: [{ path_prefix: "/stats-geo" }],
        health_check: { interval_s: 60, regions: ["weur", "apac"] },
        pools: { eu: { priority: 1 }, us: { priority: 2, minimum_origins: 2 } },
      }),
    );
    await registry(env).putOrigin("stats-geo", "eu-1", OriginInput.parse({ url, zone: "eu" }));
    await registry(env).putOrigin("stats-geo", "us-1", OriginInput.parse({ url, zone: "us", enabled: false }));
    await registry(env).putService("stats-plain", ServiceInput.parse({ routes: [{ path_prefix: "/plain" }] }));
    try {
      const res = await api("GET", "/stats", undefined, { scope: "mesh:read" });
      expect(res.status).toBe(200);
      const geo = res.json.services.find((s: { name: string }) => s.name === "stats-geo");
      expect(geo.regions).toEqual(["weur", "apac"]);
      expect(geo.pools).toEqual([
        { name: "eu", priority: 1, minimum_origins: 1, eligible: 1, total: 1, healthy: true },
        { name: "us", priority: 2, minimum_origins: 2, eligible: 0, total: 1, healthy: false },
      ]);
      const eu = geo.origins.find((o: { id: string }) => o.id === "eu-1");
      expect(Object.keys(eu.regions)).toEqual(["weur", "apac"]);
      expect(eu.regions.weur).toMatchObject({ status: expect.stringMatching(/^(unknown|healthy)$/) });
      const plain = res.json.services.find((s: { name: string }) => s.name === "stats-plain");
      expect(plain).toMatchObject({ regions: [], pools: [] });
      expect(plain.origins).toEqual([]);
    } finally {
      await registry(env).deleteService("stats-geo");
      await registry(env).deleteService("stats-plain");
    }
  });
});
