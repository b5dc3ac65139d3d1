import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { WebSocketServer } from "ws";

// Origins for what streams: server-sent events, WebSockets, compressed
// bodies. Each listens on a free port of 127.0.0.1 and records what it got.

/** A small origin server: its port, what it received, and `stop()`. */
export interface SmallOrigin {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received: method, path and headers. */
  readonly requests: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  stop(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  setup: (server: Server) => void = () => {},
): Promise<SmallOrigin & { server: Server }> {
  const requests: SmallOrigin["requests"] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  setup(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** An SSE origin: `/events?n=N&gap_ms=M` sends N events `data: <i>`, M ms apart (defaults 3 and 300). */
export interface SseOrigin extends SmallOrigin {
  /** When each event was written, per request, in ms since the epoch. */
  readonly sent: number[][];
}

/**
 * Starts an origin that streams server-sent events, flushing each one.
 * @example const sse = await startSseOrigin(); // GET /events?n=3&gap_ms=300
 */
export async function startSseOrigin(): Promise<SseOrigin> {
  const sent: number[][] = [];
  const timers = new Set<NodeJS.Timeout>();
  const base = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    const n = Number(url.searchParams.get("n") ?? 3);
    const gap = Number(url.searchParams.get("gap_ms") ?? 300);
    const times: number[] = [];
    sent.push(times);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let i = 0;
    const next = (): void => {
      res.write(`data: ${i}\n\n`);
      times.push(Date.now());
      if (++i >= n) {
        res.end();
        return;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        next();
      }, gap);
      timers.add(t);
    };
    next();
  });
  return {
    ...base,
    sent,
    stop: () => {
      for (const t of timers) clearTimeout(t);
      return base.stop();
    },
  };
}

/**
 * Starts an origin that accepts WebSocket upgrades on any path and echoes
 * every message back (text prefixed with `echo:`, binary as it came); the
 * text `close:<code>` makes it close with that code and reason "asked to".
 * Plain HTTP requests get 426. `protocols` it accepts: the first the client offers.
 * @example const ws = await startWebSocketEchoOrigin(); // new WebSocket(`ws://127.0.0.1:${ws.port}/chat`)
 */
export async function startWebSocketEchoOrigin(): Promise<SmallOrigin> {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => {
      const close = isBinary ? null : /^close:(\d{4})$/.exec(data.toString());
      if (close) socket.close(Number(close[1]), "asked to");
      else socket.send(isBinary ? data : `echo:${data.toString()}`);
    });
  });
  const base = await listen(
    (_req, res) => res.writeHead(426, { "content-type": "text/plain" }).end("upgrade required"),
    (server) =>
      server.on("upgrade", (req, socket, head) => {
        base.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
      }),
  );
  return {
    ...base,
    stop: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await base.stop();
    },
  };
}

/** Text every compressed answer of `startGzipOrigin` decodes to. */
export const GZIP_TEXT = "flaremesh ".repeat(2_000);

/**
 * Starts an origin that answers every request with `GZIP_TEXT`, gzip-encoded
 * when the request accepts gzip (`content-encoding: gzip`), as plain text
 * otherwise; `?type=` sets the content type (default text/plain). It also
 * sets two cookies (`a=1`, `b=2`) and honours `Range: bytes=a-b` with a 206
 * on `/range`.
 * @example const gz = await startGzipOrigin();
 */
export async function startGzipOrigin(): Promise<SmallOrigin & { gzipped: Buffer }> {
  const gzipped = gzipSync(GZIP_TEXT);
  const base = await listen((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    const type = url.searchParams.get("type") ?? "text/plain";
    res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"]);
    if (url.pathname === "/range") {
      const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
      const body = Buffer.from(GZIP_TEXT);
      if (m === null) return void res.writeHead(200, { "content-type": type, "accept-ranges": "bytes" }).end(body);
      const [from, to] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
      res.writeHead(206, { "content-type": type, "content-range": `bytes ${from}-${to}/${body.length}` });
      return void res.end(body.subarray(from, to + 1));
    }
    if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      res.writeHead(200, { "content-type": type, "content-encoding": "gzip", vary: "accept-encoding" }).end(gzipped);
    } else {
      res.writeHead(200, { "content-type": type }).end(GZIP_TEXT);
    }
  });
  return { ...base, gzipped };
}

/**
 * Starts an https origin with a self-signed certificate for `*.origin.test`
 * made at start (openssl); give `cert` to `edge.trust()`. It answers every
 * request with `{ "tls": true, "host": <Host header>, "path": <path> }`.
 * @example const s = await startHttpsOrigin(); mesh.edge.trust(s.cert); mesh.expose({ name: "s", port: s.port }, { tls: true })
 */
export async function startHttpsOrigin(): Promise<SmallOrigin & { cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), "flaremesh-e2e-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=origin.test",
        "-addext",
        "subjectAltName=DNS:*.origin.test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const key = readFileSync(join(dir, "key.pem"), "utf8");
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    const requests: SmallOrigin["requests"] = [];
    const server = createHttpsServer({ key, cert }, (req, res) => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ tls: true, host: req.headers.host, path: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as AddressInfo).port;
    return {
      port,
      url: `https://127.0.0.1:${port}`,
      requests,
      cert,
      stop: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
