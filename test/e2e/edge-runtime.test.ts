import { request as httpRequest } from "node:http";
import { gunzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { deterministicBytes } from "./harness/bytes";
import { Edge, GATEWAY_NAME, gatewayWorker } from "./harness/edge";
import { sha256, waitFor } from "./harness/http";
import { closedPort, countingOrigin, rawGet, readSseEvents } from "./harness/probes";
import {
  GZIP_TEXT,
  type SmallOrigin,
  startGzipOrigin,
  startHttpsOrigin,
  startSseOrigin,
  startWebSocketEchoOrigin,
} from "./harness/stream-origins";
import { miniflareOptions } from "./harness/worker.mjs";

// The outbound layer on the runtime path: a minimal Worker under Miniflare
// whose fetch() goes through it, for what only that path shows (WebSocket
// coupling, compression as the Worker and its client see it, streaming
// through workerd, a fetch() that rejects). edge.test.ts drives it directly.

let edge: Edge;

// A Worker that fetches `?t=<url>` with the client's method, headers and body, and returns what it got.
const PROBE = `export default {
  async fetch(request) {
    const target = new URL(request.url).searchParams.get("t");
    const mode = new URL(request.url).searchParams.get("mode");
    try {
      if (mode === "ws-in-worker") {
        // The Worker itself uses the socket: send one message, return the reply.
        const res = await fetch(target, { headers: { upgrade: "websocket" } });
        const ws = res.webSocket;
        if (res.status !== 101 || !ws) return new Response("no websocket: " + res.status, { status: 500 });
        ws.accept();
        const reply = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
        ws.send("from the worker");
        const text = await reply;
        ws.close(1000, "done");
        return new Response(text);
      }
      const res = await fetch(target, { method: request.method, headers: request.headers, body: request.body, redirect: "manual" });
      if (mode === "read") return Response.json({ status: res.status, encoding: res.headers.get("content-encoding"), text: await res.text() });
      return res;
    } catch (err) {
      return new Response("threw " + err.message, { status: 599 });
    }
  },
};`;

describe("edge, under Miniflare", () => {
  let mf: Miniflare;
  let base: string;
  let gz: SmallOrigin & { gzipped: Buffer };
  let echo: SmallOrigin;
  beforeAll(async () => {
    edge = new Edge();
    [gz, echo] = await Promise.all([startGzipOrigin(), startWebSocketEchoOrigin()]);
    const probe = { name: "probe", modules: true, script: PROBE, compatibilityDate: "2026-11-01" };
    mf = new Miniflare(
      miniflareOptions({
        host: "127.0.0.1",
        port: 0,
        workers: [{ ...probe, outboundService: GATEWAY_NAME }, gatewayWorker(edge, "2026-11-01")],
      }),
    );
    base = (await mf.ready).origin;
  });
  afterAll(async () => {
    await mf?.dispose();
    edge.close();
    await Promise.all([gz?.stop(), echo?.stop()]);
  });
  const via = (target: string, mode = "") => `${base}/?mode=${mode}&t=${encodeURIComponent(target)}`;

  it("refuses an IP literal the Worker fetches, with 403 error code: 1003", async () => {
    const res = await fetch(via(`http://127.0.0.1:${gz.port}/`, "read"));
    expect(await res.json()).toEqual({ status: 403, encoding: null, text: "error code: 1003" });
    expect(gz.requests).toHaveLength(0);
  });

  it("hands the Worker a compressed body it can read, and passes it through to the client compressed", async () => {
    const url = edge.map("gz.origin.test", gz.port);
    for (const type of ["text/plain", "application/octet-stream"]) {
      const read = await fetch(via(`${url}/?type=${type}`, "read"), { headers: { "accept-encoding": "gzip" } });
      expect(await read.json()).toEqual({ status: 200, encoding: "gzip", text: GZIP_TEXT });
      const raw = await rawGet(via(`${url}/?type=${type}`), { "accept-encoding": "gzip" });
      expect(raw.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(raw.body).toString()).toBe(GZIP_TEXT);
      expect(raw.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);
      // The probe passed on the client's Host (127.0.0.1:…); the origin sees the URL's host.
      expect(gz.requests.at(-1)?.headers.host).toBe(new URL(url).host);
    }
  });

  it("streams server-sent events and a 3 MiB chunked upload through the runtime", async () => {
    const sse = await startSseOrigin();
    const sink = await countingOrigin();
    try {
      const res = await fetch(via(`${edge.map("sse.origin.test", sse.port)}/events?n=3&gap_ms=500`));
      const arrivals = await readSseEvents(res.body!);
      expect(arrivals.map((e) => e.data)).toEqual(["0", "1", "2"]);
      // Unbuffered: every event is in the client's hands before the origin writes the next one.
      const sent = sse.sent[0]!;
      for (const [i, e] of arrivals.entries()) expect(e.at).toBeLessThan(sent[i + 1] ?? sent[i]! + 500);

      const mib = 1024 * 1024;
      const all = deterministicBytes(0, 3 * mib);
      const upload = via(`${edge.map("up.origin.test", sink.port)}/up`);
      const answer = new Promise<string>((resolve, reject) => {
        const req = httpRequest(upload, { method: "POST", headers: { "content-type": "application/octet-stream" } });
        req.on("response", (r) => {
          let text = "";
          r.on("data", (c) => (text += c));
          r.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.write(all.subarray(0, mib));
        waitFor(() => sink.received >= mib, { timeoutMs: 5_000, what: "the first MiB at the origin" }).then(
          () => {
            expect(sink.received).toBeLessThan(3 * mib);
            req.end(all.subarray(mib));
          },
          (err) => req.destroy(err),
        );
      });
      expect(JSON.parse(await answer)).toEqual({ length: 3 * mib, sha256: sha256(all), chunked: true });
    } finally {
      await Promise.all([sse.stop(), sink.stop()]);
    }
  });

  it("gives a Worker's fetch() with Upgrade: websocket a 101 with a usable webSocket", async () => {
    const url = edge.map("ws.origin.test", echo.port);
    const client = new WebSocket(via(`${url}/room`).replace("http://", "ws://"));
    const reply = new Promise<string>((resolve, reject) => {
      client.once("message", (data) => resolve(data.toString()));
      client.once("error", reject);
    });
    await new Promise<void>((resolve, reject) => {
      client.once("open", () => resolve());
      client.once("error", reject);
    });
    client.send("ping");
    expect(await reply).toBe("echo:ping");
    client.close();
    expect(echo.requests.at(-1)?.url).toBe("/room");
  });

  it("gives the Worker's own fetch() with Upgrade: websocket a webSocket it can accept and use", async () => {
    const url = edge.map("ws.origin.test", echo.port);
    const res = await fetch(via(`${url}/inside`, "ws-in-worker"));
    expect(await res.text()).toBe("echo:from the worker");
    expect(echo.requests.at(-1)?.url).toBe("/inside");
  });

  it("reaches an https origin by name, the Worker fetching https:// as on the edge", async () => {
    const s = await startHttpsOrigin();
    try {
      edge.trust(s.cert);
      const url = edge.map("s.origin.test", s.port, { tls: true });
      const read = await (await fetch(via(`${url}/secure?x=1`, "read"))).json();
      expect(read).toMatchObject({ status: 200 });
      expect(JSON.parse((read as { text: string }).text)).toEqual({
        tls: true,
        host: `s.origin.test:${s.port}`,
        path: "/secure?x=1",
      });
    } finally {
      await s.stop();
    }
  });

  it("makes the Worker's fetch() reject on a broken connection in connection-lost mode", async () => {
    const url = edge.map("down.origin.test", await closedPort());
    expect(await (await fetch(via(`${url}/`, "read"))).json()).toMatchObject({ status: 521, text: "error code: 521" });
    edge.transportFailures = "connection-lost";
    try {
      const res = await fetch(via(`${url}/`, "read"));
      expect(res.status).toBe(599);
      expect(await res.text()).toBe("threw Network connection lost.");
    } finally {
      edge.transportFailures = "cloudflare";
    }
  });
});
