import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { originStatus } from "./harness/health";
import { fetchWithTimeout, waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { registerService } from "./harness/services";

// Service-binding origins (SPEC §6): `service://USERS/api` sends requests and
// health checks to env.USERS.fetch(), here a second Worker bound in the
// Miniflare setup only (production's wrangler.toml binds none).

/** The bound Worker: echoes what it was sent, answers checks (remembering the last), and accepts WebSockets. */
const USERS = `let lastCheck = null;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if ((request.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("message", (e) => server.send(typeof e.data === "string" ? "bound:" + e.data : e.data));
      server.addEventListener("close", (e) => server.close(e.code, "bye from the bound worker"));
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname.endsWith("/healthz")) {
      lastCheck = { url: request.url, method: request.method, headers: Object.fromEntries(request.headers) };
      return new Response("ok");
    }
    if (url.pathname.endsWith("/last-check")) return Response.json(lastCheck);
    return Response.json({ worker: "users", url: request.url, method: request.method, headers: Object.fromEntries(request.headers) });
  },
};`;

let mesh: Mesh;
beforeAll(async () => {
  mesh = await startMesh({ services: { USERS } });
});
afterAll(() => mesh?.stop());

async function service(name: string, url: string, extra: Record<string, unknown> = {}): Promise<void> {
  await registerService(mesh, name, [url], extra);
}

describe("service-binding origins, end to end", () => {
  it("proxies to the bound Worker with the URL the client asked for (base path joined), never over the network", async () => {
    await service("bound", "service://USERS/api");
    mesh.edge.clear();
    const res = await fetchWithTimeout(`${mesh.url}/bound/users/7?full=1`, { headers: { "x-client": "yes" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-mesh-origin")).toBe("bound-1");
    const seen = (await res.json()) as { worker: string; url: string; headers: Record<string, string> };
    expect(seen.worker).toBe("users");
    expect(seen.url).toBe(`${mesh.url}/api/users/7?full=1`);
    expect(seen.headers["x-client"]).toBe("yes");
    expect(seen.headers["x-forwarded-host"]).toBe(new URL(mesh.url).host);
    expect(seen.headers["x-mesh-hops"]).toBe("1");
    expect(mesh.edge.requests).toEqual([]);
  });

  it("health-checks the origin through the binding, with x-mesh-check-region", async () => {
    await service("checked", "service://USERS/base", {
      health_check: { path: "/healthz?deep=1", interval_s: 1, healthy_threshold: 1 },
    });
    await waitFor(async () => (await originStatus(mesh, "checked", "checked-1")) === "healthy", {
      timeoutMs: 10_000,
      what: "the binding's check to pass",
    });
    const last = (await (await fetchWithTimeout(`${mesh.url}/checked/last-check`)).json()) as {
      url: string;
      method: string;
      headers: Record<string, string>;
    };
    expect(last.url).toBe("https://users/base/healthz?deep=1");
    expect(last.method).toBe("GET");
    expect(last.headers["x-mesh-check-region"]).toBe("default");
    expect(last.headers["user-agent"]).toBe("flaremesh-health-check");
  });

  it("passes a WebSocket through to the bound Worker", async () => {
    await service("bound-ws", "service://USERS");
    const ws = new WebSocket(`${mesh.url.replace("http://", "ws://")}/bound-ws/chat`);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const reply = new Promise<string>((resolve) => ws.once("message", (data) => resolve(data.toString())));
    ws.send("hello");
    expect(await reply).toBe("bound:hello");
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.close(4001, "done");
    expect(await closed).toBe(4001);
  });

  it("refuses a binding the Worker does not have, or one of the mesh's own, naming the fix", async () => {
    for (const [url, why] of [
      ["service://BILLING/api", /service binding BILLING, which this Worker does not have.*\[\[services\]\]/],
      ["service://REGISTRY", /one of the mesh's own bindings/],
    ] as const) {
      const res = await mesh.admin("POST", "/services/bound/origins", { url });
      expect(res.status, url).toBe(422);
      expect(res.json.error.code).toBe("ERR_ORIGIN_NOT_ALLOWED");
      expect(res.json.error.message).toMatch(why);
    }
  });

  it("fails tries and checks as connect failures once a deploy takes the binding away — never a 500", async () => {
    await service("gone", "service://USERS", {
      health_check: { path: "/healthz", interval_s: 1, healthy_threshold: 1, unhealthy_threshold: 1 },
    });
    await waitFor(async () => (await originStatus(mesh, "gone", "gone-1")) === "healthy", {
      timeoutMs: 10_000,
      what: "the first check to pass",
    });
    await mesh.setServices({});
    try {
      const res = await fetchWithTimeout(`${mesh.url}/gone/x`);
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("ERR_UPSTREAM");
      expect(body.error.message).toMatch(/service binding USERS is not bound to this Worker/);
      const health = await waitFor(
        async () => {
          const h = await mesh.admin("GET", "/services/gone/health");
          const o = h.json.origins.find((x: { id: string }) => x.id === "gone-1");
          return o.health.status === "unhealthy" ? o.health : null;
        },
        { timeoutMs: 10_000, what: "the check to fail" },
      );
      expect(health.last_error).toBe("connect failed: service binding USERS is not bound to this Worker");
    } finally {
      await mesh.setServices({ USERS });
    }
    await waitFor(async () => (await originStatus(mesh, "gone", "gone-1")) === "healthy", {
      timeoutMs: 10_000,
      what: "the origin to recover once the binding is back",
    });
  });
});
