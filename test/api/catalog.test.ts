import { describe, expect, it } from "vitest";
import { api } from "../helpers/admin";

describe("catalog, health and events", () => {
  it("shows every service's origins with status, and a version that grows with each change", async () => {
    // No active checks (in this file): a new origin is checked at once, and these names must not be looked up.
    await api("PUT", "/services/cat", { routes: [{ path_prefix: "/cat" }], health_check: null });
    const before = (await api("GET", "/catalog")).json.version;
    await api("PUT", "/services/cat/origins/c1", { url: "https://c1.example.com", zone: "eu", weight: 3 });
    await api("PUT", "/services/cat/origins/c2", { url: "https://c2.example.com" });
    const catalog = await api("GET", "/catalog");
    expect(catalog.status).toBe(200);
    expect(catalog.json.version).toBe(before + 2);
    expect(catalog.json.services.cat).toEqual({
      origins: [
        { id: "c1", url: "https://c1.example.com", zone: "eu", weight: 3, status: "unknown" },
        { id: "c2", url: "https://c2.example.com", zone: null, weight: 1, status: "unknown" },
      ],
    });
  });

  it("reports counts by status and each origin's health", async () => {
    await api("PUT", "/services/hl", { routes: [{ path_prefix: "/hl" }], health_check: null });
    await api("PUT", "/services/hl/origins/h1", { url: "https://h1.example.com" });
    await api("PUT", "/services/hl/origins/h2", { url: "https://h2.example.com", enabled: false });
    const res = await api("GET", "/services/hl/health");
    expect(res.status).toBe(200);
    expect(res.json.counts).toEqual({ unknown: 1, healthy: 0, unhealthy: 0, ejected: 0, draining: 0, disabled: 1 });
    expect(res.json.origins.map((o: { id: string; health: { status: string } }) => [o.id, o.health.status])).toEqual([
      ["h1", "unknown"],
      ["h2", "disabled"],
    ]);
    expect(res.json.events[0]).toMatchObject({ origin: "h2", to: "disabled" });
    expect((await api("GET", "/services/none/health")).status).toBe(404);
  });

  it("limits events and rejects a bad limit", async () => {
    const res = await api("GET", "/events?limit=1");
    expect(res.status).toBe(200);
    expect(res.json.events.length).toBeLessThanOrEqual(1);
    const bad = await api("GET", "/events?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("limit");
  });
});
