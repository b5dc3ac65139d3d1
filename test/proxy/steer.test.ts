import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { proxyRequest } from "../../src/proxy/forward";
import { api, env } from "../helpers/admin";

// The data plane's steering and affinity through the whole Worker, origins stubbed at `fetch`
// (test/e2e/steering.test.ts and affinity.test.ts run the same against real servers over HTTP).

const POOLS = {
  eu: { priority: 1, countries: ["DE"], continents: ["EU"], latitude: 50.1, longitude: 8.7 },
  us: { priority: 2, continents: ["NA"], latitude: 39, longitude: -77.5 },
};

/** What the stubbed origins received, by origin host. */
let seen: { host: string; headers: Headers }[] = [];

beforeEach(() => {
  seen = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const host = new URL(String(input)).hostname;
    seen.push({ host, headers: new Headers(init?.headers) });
    return new Response(host, { headers: { "server-timing": "app;dur=3", "set-cookie": "app=1; Path=/" } });
  });
});
afterEach(() => vi.restoreAllMocks());

async function service(name: string, extra: Record<string, unknown>, origins: Record<string, string | null>) {
  const put = await api("PUT", `/services/${name}`, {
    routes: [{ host: `${name}.example.com` }],
    health_check: null,
    ...extra,
  });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  for (const [id, zone] of Object.entries(origins)) {
    const res = await api("PUT", `/services/${name}/origins/${id}`, { url: `https://${id}.example.com`, zone });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
  }
}

const get = (url: string, init: RequestInit = {}) => exports.default.fetch(new Request(url, init));

describe("steering in the data plane", () => {
  it("sends a request to its country's pool and says so, after the origin's own server-timing", async () => {
    await service("geo1", { pools: POOLS, steering: { policy: "geo" } }, { e1: "eu", u1: "us" });
    const de = await get("https://geo1.example.com/x", { cf: { country: "DE", continent: "EU" } });
    expect(await de.text()).toBe("e1.example.com");
    expect(de.headers.get("x-mesh-pool")).toBe("eu");
    expect(de.headers.get("server-timing")).toMatch(
      /^app;dur=3, mesh;dur=[\d.]+, upstream;dur=[\d.]+, steer;desc="geo DE→eu"$/,
    );
    const us = await get("https://geo1.example.com/x", { cf: { country: "US", continent: "NA" } });
    expect(us.headers.get("x-mesh-pool")).toBe("us");
    expect(us.headers.get("server-timing")).toContain('steer;desc="geo NA→us"');
  });

  it("leaves an unsteered service's responses as they were", async () => {
    await service("plain1", {}, { p1: "eu" });
    const res = await get("https://plain1.example.com/x", { cf: { country: "DE" } });
    expect(res.headers.get("x-mesh-pool")).toBeNull();
    expect(res.headers.get("server-timing")).not.toContain("steer");
  });

  it("never forwards x-mesh-dev-cf, and ignores it unless MESH_DEV_REQUEST_CF is true", async () => {
    await service("geo2", { pools: POOLS, steering: { policy: "geo" } }, { e2: "eu", u2: "us" });
    const res = await get("https://geo2.example.com/x", {
      cf: { country: "US", continent: "NA" },
      headers: { "x-mesh-dev-cf": '{"country":"DE"}' },
    });
    expect(res.headers.get("x-mesh-pool")).toBe("us");
    expect(seen.at(-1)!.headers.has("x-mesh-dev-cf")).toBe(false);
  });

  it("with MESH_DEV_REQUEST_CF=true, lets x-mesh-dev-cf stand in for request.cf, and refuses a bad one with 400", async () => {
    await service("geo3", { pools: POOLS, steering: { policy: "proximity" } }, { e3: "eu", u3: "us" });
    const dev = { ...env, MESH_DEV_REQUEST_CF: "true" };
    const send = async (value: string) => {
      const ctx = createExecutionContext();
      const res = await proxyRequest(
        new Request("https://geo3.example.com/x", { headers: { "x-mesh-dev-cf": value } }),
        dev,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    const paris = await send('{"latitude":48.8566,"longitude":2.3522}');
    expect(paris.headers.get("server-timing")).toContain('steer;desc="proximity 479km→eu"');
    expect(seen.at(-1)!.headers.has("x-mesh-dev-cf")).toBe(false);
    const la = await send('{"latitude":"34.05","longitude":"-118.24"}');
    expect(la.headers.get("x-mesh-pool")).toBe("us");
    for (const bad of ["{", '{"lat":1}', '{"latitude":91}', '{"country":"de"}', "[]"]) {
      const res = await send(bad);
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("ERR_VALIDATION");
      expect(body.error.message).toContain("x-mesh-dev-cf");
    }
  });
});

describe("session affinity in the data plane", () => {
  it("pins with a signed cookie beside the origin's own, keeps the pin, and never forwards it", async () => {
    await service("aff1", { session_affinity: { type: "cookie", ttl_s: 600 } }, { a1: null, a2: null, a3: null });
    const first = await get("https://aff1.example.com/x");
    const cookies = first.headers.getSetCookie();
    expect(cookies).toContain("app=1; Path=/");
    const pin = cookies.find((c) => c.startsWith("__flaremesh="))!;
    expect(pin).toMatch(
      /^__flaremesh=a\d\.[0-9a-z]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=600$/,
    );
    const origin = first.headers.get("x-mesh-origin");
    expect(pin).toContain(`=${origin}.`);
    expect(first.headers.get("server-timing")).toContain('affinity;desc="cookie new"');
    const value = pin.split(";")[0]!;
    for (let i = 0; i < 10; i++) {
      const again = await get("https://aff1.example.com/x", { headers: { cookie: `a=1; ${value}; b=2` } });
      expect(again.headers.get("x-mesh-origin")).toBe(origin);
      expect(again.headers.getSetCookie().some((c) => c.startsWith("__flaremesh="))).toBe(false);
      expect(again.headers.get("server-timing")).toContain('affinity;desc="cookie kept"');
      expect(seen.at(-1)!.headers.get("cookie")).toBe("a=1; b=2");
    }
  });

  it("ignores a forged cookie and pins afresh", async () => {
    await service("aff2", { session_affinity: { type: "cookie" } }, { f1: null, f2: null });
    const res = await get("https://aff2.example.com/x", { headers: { cookie: "__flaremesh=f2.zzzzzz.forged" } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().some((c) => c.startsWith("__flaremesh="))).toBe(true);
    expect(seen.at(-1)!.headers.has("cookie")).toBe(false);
  });
});
