import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesSha256, deterministicBytes } from "./harness/bytes";
import { fetchWithTimeout, sha256, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { registerService } from "./harness/services";
import { startOrigin, type Origin } from "./harness/origin";

// The data plane end to end: the real Worker (Miniflare, local Durable
// Object storage, production's MESH_ALLOW_PRIVATE_ORIGINS=false) in front of
// real origin servers, reached by DNS names through the edge layer.

let mesh: Mesh;
const origins: Origin[] = [];

async function origin(name: string): Promise<Origin> {
  const o = await startOrigin({ name });
  origins.push(o);
  return o;
}

/** Registers a service at `/<name>` (prefix stripped, no active checks) with the given origins. */
async function service(
  name: string,
  members: Origin[],
  extra: Record<string, unknown> = {},
  weights: number[] = [],
): Promise<void> {
  const list = members.map((o, i) => ({ id: o.name, url: mesh.expose(o), weight: weights[i] ?? 1 }));
  await registerService(mesh, name, list, extra);
}

/** A GET with raw headers (fetch refuses to send Connection and other hop-by-hop fields). */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${mesh.url}${path}`, { headers, timeout: 20_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const get = (path: string, init: RequestInit & { timeoutMs?: number } = {}) =>
  fetchWithTimeout(`${mesh.url}${path}`, { timeoutMs: 20_000, ...init });

/** Sends `n` sequential GETs; returns the origin that answered each. */
async function spread(path: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await get(path);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const who = res.headers.get("x-mesh-origin")!;
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), ...origins.map((o) => o.stop())]);
});

describe("data plane", () => {
  it("balances round robin evenly across three origins", async () => {
    const members = await Promise.all(["rr-a", "rr-b", "rr-c"].map(origin));
    await service("rr", members);
    expect(await spread("/rr/x", 30)).toEqual({ "rr-a": 10, "rr-b": 10, "rr-c": 10 });
    expect(members.map((m) => m.count)).toEqual([10, 10, 10]);
  });

  it("honours weights", async () => {
    const members = await Promise.all(["w-a", "w-b"].map(origin));
    await service("w", members, {}, [3, 1]);
    expect(await spread("/w/x", 40)).toEqual({ "w-a": 30, "w-b": 10 });
  });

  it("sets the mesh's response headers and answers the origin's body", async () => {
    const [a] = await Promise.all([origin("hdr-a")]);
    await service("hdr", [a!]);
    const res = await get("/hdr/anything?q=1");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-mesh-origin")).toBe("hdr-a");
    expect(res.headers.get("x-mesh-attempts")).toBe("1");
    expect(res.headers.get("server-timing")).toMatch(/mesh;dur=[\d.]+, upstream;dur=[\d.]+/);
    expect(await res.json()).toEqual({ origin: "hdr-a", path: "/anything?q=1" });
  });

  it("strips hop-by-hop fields and replaces spoofed forwarding headers", async () => {
    const a = await origin("hyg-a");
    await service("hyg", [a]);
    const res = await rawGet("/hyg/echo", {
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-host": "evil.example",
      "x-custom-hop": "1",
      connection: "keep-alive, x-custom-hop",
      "keep-alive": "timeout=5",
      "x-mesh-identity": "forged",
      "x-request-id": "client-req-0001",
    });
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(echo.headers["x-forwarded-for"]).not.toContain("6.6.6.6");
    expect(echo.headers["x-forwarded-host"]).toBe(new URL(mesh.url).host);
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    // workerd consumes Connection itself, so the fields it names cannot be seen (or stripped) by the
    // Worker; test/proxy/headers.test.ts covers that rule. Keep-Alive is removed either way.
    expect(echo.headers["keep-alive"]).toBeUndefined();
    expect(echo.headers.connection ?? "").not.toContain("x-custom-hop");
    expect(echo.headers["x-mesh-identity"]).toBeUndefined();
    expect(echo.headers["x-request-id"]).toBe("client-req-0001");
    expect(echo.headers["x-mesh-hops"]).toBe("1");
    expect(res.headers["x-request-id"]).toBe("client-req-0001");
  });

  it("answers 508 ERR_LOOP when a request has looped through the mesh", async () => {
    const res = await get("/hyg/echo", { headers: { "x-mesh-hops": "5" } });
    expect(res.status).toBe(508);
    expect(((await res.json()) as any).error.code).toBe("ERR_LOOP");
  });

  it("answers 404 ERR_NO_ROUTE for a path no service routes", async () => {
    const res = await get("/nobody-routes-this");
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe("ERR_NO_ROUTE");
  });

  it("streams a 1 MiB upload and a 1 MiB download intact", async () => {
    const a = await origin("big-a");
    await service("big", [a]);
    const upload = deterministicBytes(0, 1024 * 1024);
    const up = await get("/big/echo", {
      method: "POST",
      body: new Uint8Array(upload),
      headers: { "content-type": "application/octet-stream" },
    });
    const echo = (await up.json()) as { body_length: number; body_sha256: string };
    expect(echo.body_length).toBe(upload.length);
    expect(echo.body_sha256).toBe(sha256(upload));
    const down = await get("/big/bytes?n=1048576&chunked=1");
    const body = new Uint8Array(await down.arrayBuffer());
    expect(body.length).toBe(1048576);
    expect(sha256(body)).toBe(bytesSha256(1048576));
  });

  it("passes a 3xx from an origin through untouched", async () => {
    const a = await origin("redir-a");
    a.set({ status: 302 });
    await service("redir", [a]);
    const res = await get("/redir/x", { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(a.count).toBe(1);
  });

  it("survives an origin dying: GETs are retried elsewhere and it is ejected", async () => {
    const members = await Promise.all(["kill-a", "kill-b", "kill-c"].map(origin));
    await service("kill", members);
    await spread("/kill/x", 6);
    await members[1]!.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await get("/kill/x");
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const health = await waitFor(
      async () => {
        const h = await mesh.admin("GET", "/services/kill/health");
        return h.json.origins.find((o: any) => o.id === "kill-b" && o.health.status === "ejected") ? h : null;
      },
      { timeoutMs: 5000, what: "kill-b ejected in the registry" },
    );
    expect(health.json.counts.ejected).toBe(1);
    const events = await mesh.admin("GET", "/events?service=kill");
    expect(events.json.events[0]).toMatchObject({ origin: "kill-b", to: "ejected" });
    expect(events.json.events[0].reason).toMatch(/^outlier: 5 consecutive failures/);
  });

  it("answers 504 ERR_UPSTREAM_TIMEOUT within the timeout when the origin hangs", async () => {
    const a = await origin("hang-a");
    a.set({ hang: true });
    await service("hang", [a], { timeout_ms: 1000, retries: { attempts: 0, per_try_timeout_ms: 1000 } });
    const t0 = Date.now();
    const res = await get("/hang/x");
    const took = Date.now() - t0;
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.code).toBe("ERR_UPSTREAM_TIMEOUT");
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
  });

  it("streams a body that takes longer than the per-try timeout whole: the timer stops at the headers", async () => {
    const a = await origin("drip-a");
    await service("drip", [a], { timeout_ms: 2000, retries: { attempts: 0, per_try_timeout_ms: 300 } });
    const t0 = Date.now();
    // Headers at once, then ten chunks 150 ms apart: the body takes 1.5 s, five per-try timeouts.
    const res = await get("/drip/drip?n=10000&ms=150");
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(body.length).toBe(10000);
    expect(sha256(body)).toBe(bytesSha256(10000));
  });

  it("answers a JSON error when every origin is down", async () => {
    const members = await Promise.all(["down-a", "down-b"].map(origin));
    await service("down", members);
    await Promise.all(members.map((m) => m.kill()));
    // As on the edge, each refused connection is answered 521 by Cloudflare, which the mesh counts as a
    // connect failure (SPEC §6): the client gets the mesh's JSON error, never Cloudflare's text.
    const res = await get("/down/x");
    expect([502, 503]).toContain(res.status);
    const body = (await res.json()) as any;
    expect(["ERR_UPSTREAM", "ERR_NO_HEALTHY_ORIGIN"]).toContain(body.error.code);
    expect(body.error.request_id).toEqual(expect.any(String));
  });

  it("does not retry a POST, but retries it with x-mesh-retry: always", async () => {
    const members = await Promise.all(["post-a", "post-b"].map(origin));
    for (const m of members) m.set({ status: 503 });
    await service("post", members, { outlier_detection: null });
    const res = await get("/post/x", { method: "POST", body: "{}" });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-mesh-attempts")).toBe("1");
    expect(members[0]!.count + members[1]!.count).toBe(1);
    const forced = await get("/post/x", { method: "POST", body: "{}", headers: { "x-mesh-retry": "always" } });
    expect(forced.headers.get("x-mesh-attempts")).toBe("3");
    expect(members[0]!.count + members[1]!.count).toBe(4);
  });

  it("routes to a newly registered origin within about a second", async () => {
    const [a, b] = await Promise.all([origin("new-a"), origin("new-b")]);
    await service("new", [a!]);
    await spread("/new/x", 2);
    const registeredAt = Date.now();
    await mesh.admin("PUT", "/services/new/origins/new-b", { url: mesh.expose(b!) });
    await waitFor(
      async () => {
        const res = await get("/new/x");
        await res.arrayBuffer();
        return res.headers.get("x-mesh-origin") === "new-b";
      },
      { timeoutMs: 3000, intervalMs: 50, what: "new-b receives traffic" },
    );
    expect(Date.now() - registeredAt).toBeLessThan(1500);
  });

  it("sends traffic to the fallback service when a service has no healthy origin", async () => {
    const [main, spare] = await Promise.all([origin("fb-main"), origin("fb-spare")]);
    await service("fb-spare", [spare!]);
    await service("fb", [main!], { fallback_service: "fb-spare" });
    await mesh.admin("PATCH", "/services/fb/origins/fb-main", { enabled: false });
    const res = await get("/fb/x");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-mesh-origin")).toBe("fb-spare");
  });
});
