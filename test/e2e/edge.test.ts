import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { Miniflare, Request as MfRequest } from "miniflare";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { deterministicBytes } from "./harness/bytes";
import { Edge, GATEWAY_NAME, gatewayWorker } from "./harness/edge";
import { sha256, waitFor } from "./harness/http";
import { startOrigin, type Origin } from "./harness/origin";
import {
  GZIP_TEXT,
  type SmallOrigin,
  type SseOrigin,
  startGzipOrigin,
  startHttpsOrigin,
  startSseOrigin,
  startWebSocketEchoOrigin,
} from "./harness/stream-origins";
import { miniflareOptions } from "./harness/worker.mjs";

// The outbound layer itself, first driven directly from Node (the function
// Miniflare calls), then through a minimal Worker under Miniflare for what
// only the runtime path shows (WebSocket coupling, compression, a fetch()
// that rejects). Every e2e test trusts it to behave as Cloudflare's edge.

let edge: Edge;
let a: Origin;
let other: Origin;
beforeAll(async () => {
  [a, other] = await Promise.all([startOrigin({ name: "a" }), startOrigin({ name: "other" })]);
});
afterAll(async () => {
  await Promise.all([a.stop(), other.stop()]);
});

function fresh(): Edge {
  edge?.close();
  edge = new Edge();
  a.reset();
  other.reset();
  return edge;
}

describe("edge, driven directly", () => {
  afterEach(() => edge?.close());

  it.each([
    "http://127.0.0.1:PORT/x",
    "http://127.1:PORT/x",
    "http://2130706433:PORT/x",
    "http://0x7f.1:PORT/x",
    "http://0177.0.0.1:PORT/x",
    "http://[::1]:PORT/x",
    "http://[::ffff:127.0.0.1]:PORT/x",
    "http://[0:0:0:0:0:0:0:1]:PORT/x",
    "http://203.0.113.5/x",
    "https://1.1.1.1/x",
    "http://[2001:db8::5]:8080/x",
  ])("answers %s with 403 error code: 1003 and reaches nothing", async (spelling) => {
    fresh().map("a.origin.test", a.port);
    const res = await edge.handle(new Request(spelling.replace("PORT", String(a.port))));
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("error code: 1003");
    expect(res.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
    expect(res.headers.get("server")).toBe("cloudflare");
    expect(a.requests).toHaveLength(0);
    expect(edge.requests[0]).toMatchObject({ status: 403, edgeError: "1003", target: null });
  });

  it("reaches a mapped name, with the URL's host as Host whatever the Worker set", async () => {
    const url = fresh().map("a.origin.test", a.port);
    expect(url).toBe(`http://a.origin.test:${a.port}`);
    const res = await edge.handle(new Request(`${url}/echo?q=1`, { headers: { host: "evil.example", "x-t": "1" } }));
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { headers: Record<string, string>; url: string };
    expect(echo.headers.host).toBe(`a.origin.test:${a.port}`);
    expect(echo.headers["x-t"]).toBe("1");
    expect(echo.url).toBe("/echo?q=1");
    expect(edge.requests[0]).toMatchObject({
      hostOverride: "evil.example",
      sentHost: `a.origin.test:${a.port}`,
      target: `127.0.0.1:${a.port}`,
      status: 200,
      edgeError: null,
    });
  });

  it("answers an unmapped name with 530 error code: 1016, and a mapped name's other ports as refused (521)", async () => {
    fresh().map("a.origin.test", a.port);
    const unknown = await edge.handle(new Request(`http://nobody.origin.test:${a.port}/`));
    expect(unknown.status).toBe(530);
    expect(await unknown.text()).toBe("error code: 1016");
    // `other` listens, but only a.origin.test:<a.port> is mapped: the edge never reaches it.
    const wrongPort = await edge.handle(new Request(`http://a.origin.test:${other.port}/`));
    expect(wrongPort.status).toBe(521);
    expect(await wrongPort.text()).toBe("error code: 521");
    expect(other.requests).toHaveLength(0);
    expect(a.requests).toHaveLength(0);
    edge.unmap("a.origin.test");
    expect((await edge.handle(new Request(`http://a.origin.test:${a.port}/`))).status).toBe(530);
  });

  it("sends a proxied host's ports outside Cloudflare's list to its port 80, and keeps listed ones", async () => {
    fresh().map("p.origin.test", a.port, { port: 80, proxied: true });
    edge.map("p.origin.test", other.port, { port: 8080 });
    const odd = await edge.handle(new Request("http://p.origin.test:9999/x"));
    expect(odd.status).toBe(200);
    expect(await odd.json()).toEqual({ origin: "a", path: "/x" });
    expect(a.requests[0]?.headers.host).toBe("p.origin.test");
    const listed = await edge.handle(new Request("http://p.origin.test:8080/y"));
    expect(await listed.json()).toEqual({ origin: "other", path: "/y" });
    // Not proxied (DNS only): the port is used as written.
    edge.map("d.origin.test", a.port);
    expect((await edge.handle(new Request(`http://d.origin.test:${a.port}/z`))).status).toBe(200);
    expect((await edge.handle(new Request("http://d.origin.test:9999/z"))).status).toBe(521);
  });

  it("answers a connection that is refused, or closed without an answer, as Cloudflare does (521, 520)", async () => {
    const scratch = await startOrigin();
    const url = fresh().map("gone.origin.test", scratch.port);
    scratch.set({ dropConnections: true });
    expect((await edge.handle(new Request(`${url}/x`))).status).toBe(520);
    await scratch.stop();
    const refused = await edge.handle(new Request(`${url}/x`));
    expect(refused.status).toBe(521);
    expect(edge.requests.map((r) => r.edgeError)).toEqual(["520", "521"]);
  });

  it("does not follow redirects, and keeps repeated Set-Cookie and Range answers", async () => {
    const gz = await startGzipOrigin();
    const redirector = await redirectOrigin(`http://a.origin.test:${a.port}/target`);
    try {
      const url = fresh().map("a.origin.test", a.port);
      edge.map("r.origin.test", redirector.port);
      const redirect = await edge.handle(new Request(`http://r.origin.test:${redirector.port}/moved`));
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe(`${url}/target`);
      expect(redirector.hits).toBe(1);
      expect(a.requests).toHaveLength(0);
      const gzUrl = edge.map("gz.origin.test", gz.port);
      const cookies = await edge.handle(new Request(`${gzUrl}/`));
      expect(cookies.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
      const range = await edge.handle(new Request(`${gzUrl}/range`, { headers: { range: "bytes=10-19" } }));
      expect(range.status).toBe(206);
      expect(range.headers.get("content-range")).toBe(`bytes 10-19/${GZIP_TEXT.length}`);
      expect(await range.text()).toBe(GZIP_TEXT.slice(10, 20));
    } finally {
      await Promise.all([gz.stop(), redirector.stop()]);
    }
  });

  it("reaches an https origin whose test certificate it trusts, and answers 526 for one it does not", async () => {
    const s = await startHttpsOrigin();
    try {
      const url = fresh().map("s.origin.test", s.port, { tls: true });
      expect(url).toBe(`https://s.origin.test:${s.port}`);
      const untrusted = await edge.handle(new Request(`${url}/x`));
      expect(untrusted.status).toBe(526);
      expect(await untrusted.text()).toBe("error code: 526");
      edge.trust(s.cert);
      const res = await edge.handle(new Request(`${url}/x`));
      expect(await res.json()).toEqual({ tls: true, host: `s.origin.test:${s.port}`, path: "/x" });
      // Plain http to a TLS-only mapping: the edge cannot speak to it.
      expect((await edge.handle(new Request(`http://s.origin.test:${s.port}/x`))).status).toBe(520);
    } finally {
      await s.stop();
    }
  });

  it("streams a 3 MiB chunked upload: the origin has the first MiB before the rest is written", async () => {
    const sink = await countingOrigin();
    try {
      const url = fresh().map("up.origin.test", sink.port);
      const mib = 1024 * 1024;
      const all = deterministicBytes(0, 3 * mib);
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      controller.enqueue(all.subarray(0, mib));
      const pending = edge.handle(new Request(`${url}/up`, { method: "POST", body, duplex: "half" } as RequestInit));
      await waitFor(() => sink.received >= mib, { timeoutMs: 5_000, what: "the first MiB at the origin" });
      expect(sink.received).toBeLessThan(3 * mib);
      controller.enqueue(all.subarray(mib));
      controller.close();
      const res = await pending;
      expect(await res.json()).toEqual({ length: 3 * mib, sha256: sha256(all), chunked: true });
    } finally {
      await sink.stop();
    }
  });

  it("streams server-sent events as the origin writes them", async () => {
    const sse = await startSseOrigin();
    try {
      const url = fresh().map("sse.origin.test", sse.port);
      const res = await edge.handle(new Request(`${url}/events?n=3&gap_ms=400`));
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const arrivals = await readEvents(res.body!, sse);
      expect(arrivals.map((e) => e.data)).toEqual(["0", "1", "2"]);
      // Each event arrives soon after it was written, long before the next one is.
      for (const [i, e] of arrivals.entries()) expect(e.at - sse.sent[0]![i]!).toBeLessThan(250);
    } finally {
      await sse.stop();
    }
  });

  it("answers a WebSocket upgrade with a 101 whose webSocket talks to the origin", async () => {
    const echo = await startWebSocketEchoOrigin();
    try {
      const url = fresh().map("ws.origin.test", echo.port);
      const res = await edge.handle(
        new MfRequest(`${url}/chat`, {
          headers: { upgrade: "websocket", "sec-websocket-protocol": "chat, x" },
        }) as never,
      );
      expect(res.status).toBe(101);
      expect(res.headers.get("sec-websocket-protocol")).toBe("chat");
      const socket = res.webSocket!;
      socket.accept();
      const got = new Promise<string>((resolve) => socket.addEventListener("message", (e) => resolve(String(e.data))));
      socket.send("hello");
      expect(await got).toBe("echo:hello");
      socket.close(1000, "done");
      expect(echo.requests[0]).toMatchObject({ url: "/chat" });
      expect(echo.requests[0]?.headers.host).toBe(`ws.origin.test:${echo.port}`);
      expect(edge.requests[0]).toMatchObject({ websocket: true, status: 101 });
    } finally {
      await echo.stop();
    }
  });
});

// A Worker that fetches `?t=<url>` with the client's method, headers and body, and returns what it got.
const PROBE = `export default {
  async fetch(request) {
    const target = new URL(request.url).searchParams.get("t");
    const mode = new URL(request.url).searchParams.get("mode");
    try {
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
    }
  });

  it("streams server-sent events and a 3 MiB chunked upload through the runtime", async () => {
    const sse = await startSseOrigin();
    const sink = await countingOrigin();
    try {
      const res = await fetch(via(`${edge.map("sse.origin.test", sse.port)}/events?n=3&gap_ms=400`));
      const arrivals = await readEvents(res.body!, sse);
      expect(arrivals.map((e) => e.data)).toEqual(["0", "1", "2"]);
      for (const [i, e] of arrivals.entries()) expect(e.at - sse.sent[0]![i]!).toBeLessThan(250);

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

/** An origin that counts request bytes as they arrive and answers their length, hash and framing. */
async function countingOrigin(): Promise<{ port: number; received: number; stop: () => Promise<void> }> {
  const state = { port: 0, received: 0, stop: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      state.received += c.length;
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const chunked = req.headers["transfer-encoding"] === "chunked";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ length: body.length, sha256: sha256(body), chunked }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

async function readEvents(
  body: AsyncIterable<Uint8Array> | ReadableStream | object,
  _sse: SseOrigin,
): Promise<{ data: string; at: number }[]> {
  const events: { data: string; at: number }[] = [];
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      events.push({ data: buffered.slice(0, end).replace(/^data: /, ""), at: Date.now() });
      buffered = buffered.slice(end + 2);
    }
  }
  return events;
}

function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: Record<string, any>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on("error", reject)
      .end();
  });
}

/** An origin that answers every request with a 302 to `location`, counting them. */
async function redirectOrigin(location: string): Promise<{ port: number; hits: number; stop: () => Promise<void> }> {
  const state = { port: 0, hits: 0, stop: async () => {} };
  const server = createServer((_req, res) => {
    state.hits++;
    res.writeHead(302, { location }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** A port of 127.0.0.1 that was just closed (nothing listens on it). */
async function closedPort(): Promise<number> {
  const o = await startOrigin();
  const port = o.port;
  await o.stop();
  return port;
}
