import { Request as MfRequest } from "miniflare";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deterministicBytes } from "./harness/bytes";
import { Edge } from "./harness/edge";
import { sha256, waitFor } from "./harness/http";
import { startOrigin, type Origin } from "./harness/origin";
import { countingOrigin, readSseEvents, redirectOrigin } from "./harness/probes";
import {
  GZIP_TEXT,
  startGzipOrigin,
  startHttpsOrigin,
  startSseOrigin,
  startWebSocketEchoOrigin,
} from "./harness/stream-origins";

// The outbound layer itself, driven directly from plain Node (the function
// Miniflare calls); edge-runtime.test.ts runs it under Miniflare. Every e2e
// test trusts it to behave as Cloudflare's edge.

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
      // The wrong scheme for the origin: plain http to a TLS origin, TLS to a plain one.
      expect((await edge.handle(new Request(`http://s.origin.test:${s.port}/x`))).status).toBe(520);
      edge.map("plain.origin.test", a.port);
      expect((await edge.handle(new Request(`https://plain.origin.test:${a.port}/x`))).status).toBe(525);
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
      const res = await edge.handle(new Request(`${url}/events?n=3&gap_ms=500`));
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      const arrivals = await readSseEvents(res.body!);
      expect(arrivals.map((e) => e.data)).toEqual(["0", "1", "2"]);
      // Unbuffered: every event is in the client's hands before the origin writes the next one.
      const sent = sse.sent[0]!;
      for (const [i, e] of arrivals.entries()) expect(e.at).toBeLessThan(sent[i + 1] ?? sent[i]! + 500);
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
