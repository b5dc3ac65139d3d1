import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitFor } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { startOrigin, type Origin } from "./harness/origin";
import { registerService } from "./harness/services";
import { type SmallOrigin, startWebSocketEchoOrigin } from "./harness/stream-origins";

// WebSockets through the mesh (SPEC §6): a real `ws` client ↔ the mesh under
// Miniflare ↔ the edge layer ↔ a real ws origin, reached by name.

let mesh: Mesh;
let echo: SmallOrigin;
const others: Origin[] = [];
beforeAll(async () => {
  [mesh, echo] = await Promise.all([startMesh(), startWebSocketEchoOrigin()]);
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), echo?.stop(), ...others.map((o) => o.stop())]);
});

/** Opens a WebSocket through the mesh; resolves with it and the 101's headers once open. */
function open(path: string, protocols: string[] = []): Promise<{ ws: WebSocket; headers: IncomingMessage["headers"] }> {
  const ws = new WebSocket(`${mesh.url.replace("http://", "ws://")}${path}`, protocols);
  return new Promise((resolve, reject) => {
    let headers: IncomingMessage["headers"] = {};
    ws.once("upgrade", (res) => {
      headers = res.headers;
    });
    ws.once("open", () => resolve({ ws, headers }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`answered ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

const next = (ws: WebSocket) =>
  new Promise<{ data: Buffer; binary: boolean }>((resolve) =>
    ws.once("message", (data, binary) => resolve({ data: data as Buffer, binary })),
  );
const closed = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );

describe("WebSockets through the mesh", () => {
  it("echoes text and binary messages, and passes the client's close code through", async () => {
    await registerService(mesh, "ws", [mesh.expose({ name: "ws-echo", port: echo.port })]);
    const { ws, headers } = await open("/ws/room/1?token=abc", ["chat.v2", "chat.v1"]);
    expect(headers["x-mesh-origin"]).toBe("ws-1");
    expect(headers["x-mesh-attempts"]).toBe("1");
    expect(ws.protocol).toBe("chat.v2");

    let reply = next(ws);
    ws.send("hello");
    expect(await reply).toEqual({ data: Buffer.from("echo:hello"), binary: false });
    const bytes = Buffer.from([0, 1, 2, 250, 255, 128]);
    reply = next(ws);
    ws.send(bytes);
    expect(await reply).toEqual({ data: bytes, binary: true });

    const done = closed(ws);
    ws.close(4000, "client done");
    expect((await done).code).toBe(4000);

    const seen = echo.requests.at(-1)!;
    expect(seen.url).toBe("/room/1?token=abc");
    expect(seen.headers.upgrade).toBe("websocket");
    expect(seen.headers.host).toBe(`ws-echo.origin.test:${echo.port}`);
    expect(seen.headers["x-forwarded-host"]).toBe(new URL(mesh.url).host);
    expect(String(seen.headers["sec-websocket-protocol"]).split(/\s*,\s*/)).toEqual(["chat.v2", "chat.v1"]);
  });

  it("passes the origin's close code and reason to the client", async () => {
    const { ws } = await open("/ws/room/2");
    const done = closed(ws);
    ws.send("close:4002");
    expect(await done).toEqual({ code: 4002, reason: "asked to" });
  });

  it("logs the exchange with status 101", async () => {
    const { ws } = await open("/ws/logged");
    const done = closed(ws);
    ws.close(1000);
    await done;
    const entry = await waitFor(
      async () => {
        const logs = await mesh.admin("GET", "/logs?limit=50");
        return (logs.json.logs as { path: string; status: number; origin_id: string }[]).find(
          (l) => l.path === "/ws/logged",
        );
      },
      { timeoutMs: 10_000, what: "the log entry of the WebSocket" },
    );
    expect(entry).toMatchObject({ status: 101, origin_id: "ws-1" });
  });

  it("retries an upgrade whose origin cannot be reached, on another origin", async () => {
    // Answered 521 by the edge itself, as for a server that refuses connections (a closed port could be
    // taken by another test's server meanwhile).
    const down = mesh.edge.map("ws-down.origin.test", echo.port, { answer: "521" });
    await registerService(mesh, "ws-retry", [down, mesh.expose({ name: "ws-echo", port: echo.port })], {
      load_balancer: { policy: "round_robin" },
    });
    mesh.edge.clear();
    const attempts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { ws, headers } = await open("/ws-retry/x");
      attempts.push(String(headers["x-mesh-attempts"]));
      const reply = next(ws);
      ws.send("again");
      expect((await reply).data.toString()).toBe("echo:again");
      ws.close();
    }
    // One of the two opens picked the dead origin first: Cloudflare's 521 was a connect failure, retried.
    expect(attempts.sort()).toEqual(["1", "2"]);
    expect(mesh.edge.requests.map((r) => r.edgeError)).toContain("521");
  });

  it("does not retry an upgrade that an origin answered, even with a 5xx", async () => {
    const busy = await Promise.all(["ws-busy-a", "ws-busy-b"].map((name) => startOrigin({ name })));
    others.push(...busy);
    for (const o of busy) o.set({ status: 503 });
    await registerService(
      mesh,
      "ws-busy",
      busy.map((o) => mesh.expose(o)),
    );
    await expect(open("/ws-busy/x")).rejects.toThrow("answered 503");
    expect(busy[0]!.count + busy[1]!.count).toBe(1);
  });
});
