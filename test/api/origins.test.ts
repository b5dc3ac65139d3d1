import { describe, expect, it } from "vitest";
import { api, token } from "../helpers/admin";

// No active checks: a new origin is checked at once, and these origins' names do not resolve (nor should they be looked up).
const svc = (name: string) =>
  api("PUT", `/services/${name}`, { routes: [{ path_prefix: `/${name}` }], health_check: null });

describe("origins API", () => {
  it("registers an origin under a server-chosen id with defaults and unknown health", async () => {
    await svc("users");
    const res = await api("POST", "/services/users/origins", { url: "https://users-1.example.com:8443/base/" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      id: "users-1",
      url: "https://users-1.example.com:8443/base",
      weight: 1,
      zone: null,
      tags: [],
      metadata: {},
      enabled: true,
      drain: false,
      ttl_s: null,
      health: {
        status: "unknown",
        last_check: null,
        last_error: null,
        consecutive_successes: 0,
        consecutive_failures: 0,
        ejected_until: null,
      },
    });
    expect(Date.parse(res.json.health.since)).not.toBeNaN();
    const second = await api("POST", "/services/users/origins", { url: "https://users-2.example.com" });
    expect(second.json.id).toBe("users-2");
  });

  it("creates (201) then replaces (200) an origin under a client-chosen id", async () => {
    await svc("cart");
    const body = {
      url: "https://cart.example.com",
      weight: 5,
      zone: "eu-west",
      tags: ["v2"],
      metadata: { build: "42" },
    };
    const first = await api("PUT", "/services/cart/origins/cart-a", body);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      id: "cart-a",
      weight: 5,
      zone: "eu-west",
      tags: ["v2"],
      metadata: { build: "42" },
    });
    const again = await api("PUT", "/services/cart/origins/cart-a", { ...body, weight: 7 });
    expect(again.status).toBe(200);
    expect(again.json.weight).toBe(7);
    const list = await api("GET", "/services/cart/origins");
    expect(list.json.origins).toHaveLength(1);
  });

  it("patches only the given fields and records admin transitions", async () => {
    await svc("pay");
    await api("PUT", "/services/pay/origins/p1", { url: "https://p1.example.com", tags: ["a"] });
    const patched = await api("PATCH", "/services/pay/origins/p1", { weight: 0, drain: true });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ weight: 0, drain: true, tags: ["a"], health: { status: "draining" } });
    const disabled = await api("PATCH", "/services/pay/origins/p1", { enabled: false });
    expect(disabled.json.health.status).toBe("disabled");
    const events = await api("GET", "/events?service=pay");
    expect(events.json.events.map((e: { to: string }) => e.to)).toEqual(["disabled", "draining"]);
    expect(events.json.events[0]).toMatchObject({
      service: "pay",
      origin: "p1",
      from: "draining",
      reason: "admin: disabled",
    });
  });

  it("deletes an origin (204) and answers 404 for missing services and origins", async () => {
    await svc("del");
    await api("PUT", "/services/del/origins/d1", { url: "https://d1.example.com" });
    expect((await api("DELETE", "/services/del/origins/d1")).status).toBe(204);
    const missing = await api("DELETE", "/services/del/origins/d1");
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe("origin 'd1' does not exist in service 'del'");
    const noService = await api("POST", "/services/nope/origins", { url: "https://x.example.com" });
    expect(noService.status).toBe(404);
    expect(noService.json.error.message).toBe("service 'nope' does not exist");
  });

  it("renews a lease with a heartbeat", async () => {
    await svc("leased");
    await api("PUT", "/services/leased/origins/l1", { url: "https://l1.example.com", ttl_s: 30 });
    const beat = { token: await token("mesh:heartbeat", { svc: "leased" }) };
    const hb = await api("PUT", "/services/leased/origins/l1/heartbeat", undefined, beat);
    expect(hb.status).toBe(200);
    expect(hb.json).toMatchObject({ id: "l1", ttl_s: 30 });
    expect((await api("PUT", "/services/leased/origins/zz/heartbeat", undefined, beat)).status).toBe(404);
  });

  it("deleting a service removes its origins", async () => {
    await svc("gone");
    await api("PUT", "/services/gone/origins/g1", { url: "https://g1.example.com" });
    await api("DELETE", "/services/gone");
    await svc("gone");
    expect((await api("GET", "/services/gone/origins")).json.origins).toEqual([]);
  });

  it("refuses private origin addresses with 422 ERR_ORIGIN_NOT_ALLOWED", async () => {
    await svc("ssrf");
    for (const url of [
      "http://169.254.169.254",
      "http://127.1:8080",
      "http://[::ffff:127.0.0.1]",
      "http://10.0.0.7:8443",
    ]) {
      const res = await api("POST", "/services/ssrf/origins", { url });
      expect(res.status, url).toBe(422);
      expect(res.json.error.code).toBe("ERR_ORIGIN_NOT_ALLOWED");
    }
    expect((await api("GET", "/services/ssrf/origins")).json.origins).toEqual([]);
  });

  it("refuses every IP address in production with what to use instead, and warns about unproxied ports", async () => {
    await svc("edge");
    const ip = await api("POST", "/services/edge/origins", { url: "https://93.184.216.34" });
    expect(ip.status).toBe(422);
    expect(ip.json.error).toMatchObject({ code: "ERR_ORIGIN_NOT_ALLOWED", details: [{ path: "url" }] });
    expect(ip.json.error.message).toMatch(/Cloudflare Workers cannot fetch IP addresses \(error 1003\)/);
    expect(ip.json.error.message).toMatch(/a DNS name, a Cloudflare Tunnel hostname or a service binding/);

    const odd = await api("PUT", "/services/edge/origins/odd", { url: "https://edge-1.example.com:9443" });
    expect(odd.status).toBe(201);
    expect(odd.json.warnings).toEqual([
      expect.stringMatching(/^url port 9443 is not one of Cloudflare's proxied ports/),
    ]);
    expect(
      (await api("PUT", "/services/edge/origins/odd", { url: "https://edge-1.example.com:9443" })).json.warnings,
    ).toHaveLength(1);
    const proxied = await api("PUT", "/services/edge/origins/std", { url: "https://edge-2.example.com:8443" });
    expect(proxied.status).toBe(201);
    expect(proxied.json).not.toHaveProperty("warnings");
    // Not stored: later reads do not carry it.
    const list = await api("GET", "/services/edge/origins");
    expect(list.json.origins.map((o: Record<string, unknown>) => "warnings" in o)).toEqual([false, false]);
  });

  it("registers a service-binding origin, and refuses bindings that are missing or the mesh's own", async () => {
    await svc("bound");
    const ok = await api("PUT", "/services/bound/origins/b1", { url: "service://ECHO_WORKER/api/" });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ url: "service://ECHO_WORKER/api" });
    expect(ok.json).not.toHaveProperty("warnings");
    for (const [url, why] of [
      ["service://NOPE/api", /service binding NOPE, which this Worker does not have.*\[\[services\]\]/],
      ["service://REGISTRY", /REGISTRY, one of the mesh's own bindings/],
      ["service://ASSETS/", /ASSETS, one of the mesh's own bindings/],
      ["service://MESH_ALLOW_PRIVATE_ORIGINS", /is not a service binding/],
    ] as const) {
      const res = await api("POST", "/services/bound/origins", { url });
      expect({ url, status: res.status, code: res.json.error.code }).toEqual({
        url,
        status: 422,
        code: "ERR_ORIGIN_NOT_ALLOWED",
      });
      expect(res.json.error.message).toMatch(why);
    }
    const bad = await api("POST", "/services/bound/origins", { url: "service://ECHO_WORKER:80/" });
    expect(bad.status).toBe(400);
    expect((await api("GET", "/services/bound/origins")).json.origins).toHaveLength(1);
  });
});

describe("origin round trips and reasons", () => {
  it("PUT accepts what GET returns for an origin (id, health and warnings ignored), and refuses another id", async () => {
    await api("PUT", "/services/o-trip", { routes: [{ path_prefix: "/o-trip" }], health_check: null });
    const written = await api("PUT", "/services/o-trip/origins/a", { url: "https://a.example.com", weight: 2 });
    const read = (await api("GET", "/services/o-trip/origins")).json.origins[0];
    const put = await api("PUT", "/services/o-trip/origins/a", { ...read, weight: 5 });
    expect(put.status).toBe(200);
    expect(put.json.weight).toBe(5);
    expect((await api("PUT", "/services/o-trip/origins/a", { ...written.json, weight: 6 })).status).toBe(200);
    const other = await api("PUT", "/services/o-trip/origins/a", { ...read, id: "b" });
    expect(other.status).toBe(400);
    expect(other.json.error.details[0].path).toBe("id");
  });

  it("records un-draining as 'admin: undrained'", async () => {
    await api("PUT", "/services/o-drain", { routes: [{ path_prefix: "/o-drain" }], health_check: null });
    await api("PUT", "/services/o-drain/origins/a", { url: "https://a.example.com" });
    await api("PATCH", "/services/o-drain/origins/a", { drain: true });
    await api("PATCH", "/services/o-drain/origins/a", { drain: false });
    const events = (await api("GET", "/events?service=o-drain")).json.events as { reason: string }[];
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(["admin: draining", "admin: undrained"]));
  });
});
