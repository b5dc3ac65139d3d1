import { existsSync, readdirSync, readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout, sha256, waitFor } from "./harness/http";
import { startMesh } from "./harness/mesh";
import { bytesSha256 } from "./harness/bytes";
import { startOrigin, type Origin } from "./harness/origin";

// Other e2e tests trust these controls to make an origin slow, failing,
// dead or flapping; if one of them silently did nothing, those tests would
// pass for the wrong reason.
describe("origin harness", () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin({ name: "alpha" });
  });
  afterEach(() => origin.reset());
  afterAll(() => origin.stop());

  it("answers any path with its name and records the request", async () => {
    const res = await fetch(`${origin.url}/some/where?x=1`, { headers: { "x-test": "yes" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ origin: "alpha", path: "/some/where?x=1" });
    expect(origin.count).toBe(1);
    expect(origin.requests[0]).toMatchObject({ method: "GET", url: "/some/where?x=1", health: false });
    expect(origin.requests[0]?.headers["x-test"]).toBe("yes");
  });

  it("counts health checks apart from traffic", async () => {
    const res = await fetch(`${origin.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
    expect(origin.healthCount).toBe(1);
    expect(origin.count).toBe(0);
  });

  it("echoes method, headers and a checksum of the body", async () => {
    const body = "x".repeat(100_000);
    const res = await fetch(`${origin.url}/echo?q=1`, { method: "POST", body, headers: { "x-trace": "t1" } });
    const echo = (await res.json()) as Record<string, any>;
    expect(echo).toMatchObject({
      origin: "alpha",
      method: "POST",
      url: "/echo?q=1",
      body_length: 100_000,
      body_sha256: sha256(body),
    });
    expect(echo.headers["x-trace"]).toBe("t1");
  });

  it("adds latency to traffic but not to health checks", async () => {
    origin.set({ latencyMs: 300 });
    let started = performance.now();
    await (await fetch(`${origin.url}/slow`)).text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    started = performance.now();
    await (await fetch(`${origin.url}/healthz`)).text();
    expect(performance.now() - started).toBeLessThan(250);
  });

  it("slows health checks with healthLatencyMs", async () => {
    origin.set({ healthLatencyMs: 300 });
    const started = performance.now();
    await (await fetch(`${origin.url}/healthz`)).text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("answers the configured status, and the health status separately", async () => {
    origin.set({ status: 503, healthStatus: 500 });
    expect((await fetch(`${origin.url}/x`)).status).toBe(503);
    expect((await fetch(`${origin.url}/healthz`)).status).toBe(500);
    origin.set({ healthStatus: 200 });
    expect((await fetch(`${origin.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin.url}/x`)).status).toBe(503);
  });

  it("drops connections without a response", async () => {
    origin.set({ dropConnections: true });
    await expect(fetchWithTimeout(`${origin.url}/x`, { timeoutMs: 5_000 })).rejects.toThrow(/fetch failed/);
    await expect(fetchWithTimeout(`${origin.url}/healthz`, { timeoutMs: 5_000 })).rejects.toThrow(/fetch failed/);
    expect(origin.count).toBeGreaterThanOrEqual(1);
    origin.set({ dropConnections: false });
    expect((await fetch(`${origin.url}/x`)).status).toBe(200);
  });

  it("hangs until the client gives up", async () => {
    origin.set({ hang: true });
    const started = performance.now();
    const err = await fetchWithTimeout(`${origin.url}/x`, { timeoutMs: 400 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("TimeoutError");
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(origin.count).toBe(1);
  });

  it("fails one health check in flapEvery", async () => {
    origin.set({ flapEvery: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await fetch(`${origin.url}/healthz`)).status);
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503, 200, 200, 503]);
  });

  it("streams deterministic bytes with their checksum, with and without content-length", async () => {
    const n = 1_000_003;
    for (const query of [`n=${n}`, `n=${n}&chunked=1`]) {
      const res = await fetch(`${origin.url}/bytes?${query}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect(bytes.length).toBe(n);
      expect(res.headers.get("x-bytes-sha256")).toBe(bytesSha256(n));
      expect(sha256(bytes)).toBe(bytesSha256(n));
      expect(res.headers.get("content-length")).toBe(query.includes("chunked") ? null : String(n));
    }
    expect(bytesSha256(n)).not.toBe(bytesSha256(n - 1));
  });

  it("refuses connections once stopped and comes back on the same port", async () => {
    const scratch = await startOrigin();
    const { port } = scratch;
    expect((await fetch(`${scratch.url}/x`)).status).toBe(200);
    await scratch.kill();
    await scratch.stop(); // idempotent
    await expect(fetchWithTimeout(`${scratch.url}/x`, { timeoutMs: 5_000 })).rejects.toThrow(/fetch failed/);
    await scratch.restart();
    expect(scratch.port).toBe(port);
    expect(await (await fetch(`${scratch.url}/x`)).json()).toEqual({ origin: `origin-${port}`, path: "/x" });
    await scratch.stop();
  });

  it("frees a hung request when stopped", async () => {
    const scratch = await startOrigin();
    scratch.set({ hang: true });
    const pending = fetchWithTimeout(`${scratch.url}/x`, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    await expect.poll(() => scratch.count, { timeout: 2_000 }).toBe(1);
    const started = performance.now();
    await scratch.stop();
    expect(((await pending) as Error).name).not.toBe("TimeoutError");
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("mesh harness", () => {
  it("runs the Worker under Miniflare on a real port, fires its cron, and stops it for good", async () => {
    const started = performance.now();
    const before = workerdChildren();
    const mesh = await startMesh();
    try {
      console.info(`mesh started in ${Math.round(performance.now() - started)} ms`);
      expect(mesh.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await rawStatus(`${mesh.url}/_mesh/healthz`);
      expect(health).toBe(200);
      await mesh.scheduled();
      expect(workerdChildren().length).toBeGreaterThan(before.length);
    } finally {
      await mesh.stop();
    }
    await mesh.stop(); // idempotent
    expect(workerdChildren()).toEqual(before);
    expect(existsSync(mesh.persistDir)).toBe(false);
    await expect(fetchWithTimeout(`${mesh.url}/_mesh/healthz`, { timeoutMs: 3_000 })).rejects.toThrow();
  });

  it("sends the Worker's and its Durable Objects' fetches through the edge: checks by name arrive, an IP literal never does", async () => {
    // MESH_ALLOW_PRIVATE_ORIGINS=true so the mesh accepts an IP-literal origin at all: local workerd would
    // reach it, Cloudflare's edge (and so this harness) refuses the fetch.
    const [mesh, o] = await Promise.all([
      startMesh({ vars: { MESH_ALLOW_PRIVATE_ORIGINS: "true" } }),
      startOrigin({ name: "via-edge" }),
    ]);
    try {
      const url = mesh.expose(o);
      const put = await mesh.admin("PUT", "/services/named", {
        routes: [{ path_prefix: "/named" }],
        health_check: { path: "/healthz", interval_s: 1 },
      });
      expect(put.status).toBe(201);
      expect((await mesh.admin("PUT", "/services/named/origins/n", { url })).status).toBe(201);
      // The edge records a request once its answer is back, a moment after the origin counted it: wait for the record.
      const check = await waitFor(() => mesh.edge.requests.find((r) => r.url === `${url}/healthz`), {
        timeoutMs: 10_000,
        what: "a health check from the registry's alarm, through the edge",
      });
      expect(o.healthCount).toBeGreaterThanOrEqual(1);
      expect(check).toMatchObject({
        target: `127.0.0.1:${o.port}`,
        status: 200,
        edgeError: null,
      });

      await mesh.admin("PUT", "/services/literal", { routes: [{ path_prefix: "/literal" }], health_check: null });
      const literal = `http://127.0.0.1:${o.port}`;
      expect((await mesh.admin("PUT", "/services/literal/origins/l", { url: literal })).status).toBe(201);
      const res = await fetchWithTimeout(`${mesh.url}/literal/x`);
      await res.arrayBuffer();
      expect(res.status).not.toBe(200);
      expect(o.count).toBe(0);
      expect(mesh.edge.requests.filter((r) => r.url.startsWith(literal)).map((r) => r.edgeError)).toContain("1003");
    } finally {
      await Promise.all([mesh.stop(), o.stop()]);
    }
  });
});

/** A GET with node's own http client (a real TCP client, no fetch): the status. */
function rawStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });
}

/** Pids of this process's workerd children that are still running (Miniflare spawns one per instance); Linux /proc. */
function workerdChildren(): number[] {
  const found: number[] = [];
  if (!existsSync("/proc")) return found;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) === process.pid && comm === "workerd" && state !== "Z") found.push(Number(entry));
  }
  return found.sort((x, y) => x - y);
}
