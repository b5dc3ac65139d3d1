import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";

// Session affinity end to end (SPEC §7): the real Worker under Miniflare, real origins over HTTP, the
// cookie carried by hand as a browser would. Without affinity the services' round robin would spread
// these requests over every origin, so a run of one origin is the pin at work.

let mesh: Mesh;
const origins: Origin[] = [];

async function service(name: string, affinity: Record<string, unknown>, n = 3): Promise<Origin[]> {
  const put = await mesh.admin("PUT", `/services/${name}`, {
    routes: [{ path_prefix: `/${name}` }],
    strip_prefix: true,
    health_check: null,
    session_affinity: affinity,
  });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  const made: Origin[] = [];
  for (let i = 1; i <= n; i++) {
    const o = await startOrigin({ name: `${name}-${i}` });
    origins.push(o);
    made.push(o);
    const res = await mesh.admin("PUT", `/services/${name}/origins/${o.name}`, { url: mesh.expose(o) });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
  }
  return made;
}

interface Answer {
  status: number;
  origin: string | null;
  /** `name=value` of the __flaremesh cookie the answer set, if it set one. */
  pin: string | null;
  setCookies: string[];
  body: string;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetchWithTimeout(`${mesh.url}${path}`, { headers, timeoutMs: 20_000 });
  const setCookies = res.headers.getSetCookie();
  const pin = setCookies.find((c) => c.startsWith("__flaremesh="))?.split(";")[0] ?? null;
  return { status: res.status, origin: res.headers.get("x-mesh-origin"), pin, setCookies, body: await res.text() };
}

beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), ...origins.map((o) => o.stop())]);
});

describe("cookie affinity", () => {
  let members: Origin[];
  let pin: string;
  let pinned: string;
  beforeAll(async () => {
    members = await service("cart", { type: "cookie", ttl_s: 3600 });
  });

  it("pins a first visit with a signed, HttpOnly, Secure, SameSite=Lax cookie", async () => {
    const first = await get("/cart/x");
    expect(first.status).toBe(200);
    const cookie = first.setCookies.find((c) => c.startsWith("__flaremesh="))!;
    expect(cookie).toMatch(
      /^__flaremesh=cart-\d\.[0-9a-z]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=3600$/,
    );
    pin = first.pin!;
    pinned = first.origin!;
    expect(pin.startsWith(`__flaremesh=${pinned}.`)).toBe(true);
  });

  it("holds 20 of 20 requests on the pinned origin, setting no new cookie", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await get("/cart/x", { cookie: pin });
      expect(r.status).toBe(200);
      expect(r.pin).toBeNull();
      seen.push(r.origin!);
    }
    expect(seen).toEqual(Array(20).fill(pinned));
  });

  it("ignores a forged cookie, pins afresh, and the real pin still holds", async () => {
    const [, expiry, mac] = pin.split("=")[1]!.split(".");
    const other = members.find((m) => m.name !== pinned)!.name;
    for (const forged of [
      `__flaremesh=${other}.${expiry}.${mac}`, // the pin moved to another origin
      `__flaremesh=${other}.${expiry}.${"A".repeat(43)}`,
      "__flaremesh=not-a-pin",
      "__flaremesh=",
    ]) {
      const r = await get("/cart/x", { cookie: forged });
      expect(r.status, forged).toBe(200);
      expect(r.pin, forged).not.toBeNull();
      expect(r.pin!.startsWith(`__flaremesh=${r.origin}.`)).toBe(true);
    }
    for (let i = 0; i < 5; i++) expect((await get("/cart/x", { cookie: pin })).origin).toBe(pinned);
  });

  it("never forwards the pin to the origin, and keeps the client's other cookies", async () => {
    const echo = await get("/cart/echo", { cookie: `theme=dark; ${pin}; sid=42` });
    const seen = JSON.parse(echo.body) as { origin: string; headers: Record<string, string> };
    expect(seen.origin).toBe(pinned);
    expect(seen.headers.cookie).toBe("theme=dark; sid=42");
  });

  it("re-pins a client whose origin is drained, with a new cookie, and holds the new pin", async () => {
    const drain = await mesh.admin("PATCH", `/services/cart/origins/${pinned}`, { drain: true });
    expect(drain.status).toBe(200);
    const moved = await waitFor(
      async () => {
        const r = await get("/cart/x", { cookie: pin });
        return r.origin !== pinned ? r : null;
      },
      { what: "the drained origin's client moved" },
    );
    expect(moved.pin).not.toBeNull();
    expect(moved.pin!.startsWith(`__flaremesh=${moved.origin}.`)).toBe(true);
    for (let i = 0; i < 10; i++) {
      const r = await get("/cart/x", { cookie: moved.pin! });
      expect(r.origin).toBe(moved.origin);
      expect(r.pin).toBeNull();
    }
  });
});

describe("header affinity", () => {
  it("keeps each value of the header on one origin, and spreads the values", async () => {
    await service("sess", { type: "header", header: "x-user" });
    const home = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 12; u++) {
        const r = await get("/sess/x", { "x-user": `user-${u}` });
        expect(r.status).toBe(200);
        expect(r.pin).toBeNull();
        if (round === 0) home.set(`user-${u}`, r.origin!);
        else expect(r.origin, `user-${u}`).toBe(home.get(`user-${u}`));
      }
    }
    expect(new Set(home.values()).size).toBeGreaterThan(1);
  });
});

describe("ip_cookie affinity", () => {
  it("starts an unpinned client on the origin its address hashes to, then pins it", async () => {
    await service("ipc", { type: "ip_cookie" });
    const firsts: Answer[] = [];
    for (let i = 0; i < 5; i++) firsts.push(await get("/ipc/x"));
    // Every test request comes from 127.0.0.1: one address, one origin, each time with a pin.
    expect(new Set(firsts.map((f) => f.origin)).size).toBe(1);
    for (const f of firsts) expect(f.pin!.startsWith(`__flaremesh=${f.origin}.`)).toBe(true);
    const again = await get("/ipc/x", { cookie: firsts[0]!.pin! });
    expect(again).toMatchObject({ origin: firsts[0]!.origin, pin: null });
  });
});
