import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { bytesSha256, deterministicBytes, streamBytes } from "./bytes";

/** How the origin answers; change it at run time with `origin.set()`. */
export interface OriginBehaviour {
  /** Delay before answering every route but `/healthz`. */
  latencyMs: number;
  /** Status of every route but `/healthz`. */
  status: number;
  /** Status of `/healthz`. */
  healthStatus: number;
  /**
   * Status of `/healthz` per `x-mesh-check-region` (what a regional checker sends), overriding
   * `healthStatus` for the regions named, so that regions can disagree about the origin.
   */
  healthStatusByRegion: Record<string, number>;
  /** Delay before answering `/healthz`. */
  healthLatencyMs: number;
  /** Destroy every socket as soon as a request arrives, without a response (a crashed process). */
  dropConnections: boolean;
  /** Accept requests and never answer them (a wedged process). */
  hang: boolean;
  /** When N > 0, every Nth health check answers 503 (a flapping origin). */
  flapEvery: number;
}

/** One request as the origin received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** True for `/healthz`. */
  health: boolean;
  at: number;
}

/** A controllable HTTP origin on 127.0.0.1 (see `startOrigin`). */
export interface Origin {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every request received, health checks included (the most recent 10,000). */
  readonly requests: readonly RecordedRequest[];
  /** Requests received, not counting health checks. */
  readonly count: number;
  /** Health checks (`/healthz`) received. */
  readonly healthCount: number;
  /** Changes some of the behaviour; the rest stays as it is. */
  set(behaviour: Partial<OriginBehaviour>): void;
  /** Back to the default behaviour, with no recorded requests and zeroed counters. */
  reset(): void;
  /** Closes the server and destroys open sockets (hung requests included). Idempotent. */
  stop(): Promise<void>;
  /** Same as `stop()`: for tests that read better as "the origin died". */
  kill(): Promise<void>;
  /** Listens again on the same port after `stop()`. */
  restart(): Promise<void>;
}

const DEFAULTS: OriginBehaviour = {
  latencyMs: 0,
  status: 200,
  healthStatus: 200,
  healthStatusByRegion: {},
  healthLatencyMs: 0,
  dropConnections: false,
  hang: false,
  flapEvery: 0,
};
const MAX_RECORDED = 10_000;

/**
 * Starts an origin server on a free port of 127.0.0.1. Routes: `/healthz`
 * (health, body "ok"), `/echo` (what it received, as JSON), `/bytes?n=N`
 * (N deterministic bytes, SHA-256 in `x-bytes-sha256`; add `&chunked=1` for
 * no content-length), `/drip?n=N&ms=M` (headers at once, then the same N
 * bytes in ten chunks M ms apart), anything else → `{ "origin": name, "path": url }`.
 * @example
 * const a = await startOrigin({ name: "a" });
 * a.set({ status: 503 });
 * await a.stop();
 */
export async function startOrigin(opts: { name?: string } = {}): Promise<Origin> {
  const origin = new OriginServer(opts.name);
  await origin.listen(0);
  return origin;
}

class OriginServer implements Origin {
  readonly requests: RecordedRequest[] = [];
  count = 0;
  healthCount = 0;
  port = 0;
  private behaviour: OriginBehaviour = { ...DEFAULTS };
  private server: Server | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private givenName: string | undefined;

  constructor(name?: string) {
    this.givenName = name;
  }

  get name(): string {
    return this.givenName ?? `origin-${this.port}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  set(behaviour: Partial<OriginBehaviour>): void {
    this.behaviour = { ...this.behaviour, ...behaviour };
  }

  reset(): void {
    this.behaviour = { ...DEFAULTS };
    this.requests.length = 0;
    this.count = 0;
    this.healthCount = 0;
  }

  async listen(port: number): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  kill(): Promise<void> {
    return this.stop();
  }

  restart(): Promise<void> {
    return this.listen(this.port);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    const health = url.pathname === "/healthz";
    if (this.requests.length >= MAX_RECORDED) this.requests.shift();
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, health, at: Date.now() });
    if (health) this.healthCount++;
    else this.count++;

    const b = this.behaviour;
    if (b.dropConnections) {
      req.socket.destroy();
      return;
    }
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on("end", () => {
      if (b.hang) return;
      if (health) {
        const failing = b.flapEvery > 0 && this.healthCount % b.flapEvery === 0;
        const region = req.headers["x-mesh-check-region"];
        const byRegion = typeof region === "string" ? b.healthStatusByRegion[region] : undefined;
        const status = failing ? 503 : (byRegion ?? b.healthStatus);
        this.later(b.healthLatencyMs, () =>
          res.writeHead(status, { "content-type": "text/plain" }).end(failing ? "flap" : "ok"),
        );
        return;
      }
      this.later(b.latencyMs, () => this.answer(req, res, url, b.status, { length, sha256: hash.digest("hex") }));
    });
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    status: number,
    body: { length: number; sha256: string },
  ): void {
    const headers = { "x-origin-name": this.name };
    if (url.pathname === "/echo") {
      const echo = {
        origin: this.name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body_length: body.length,
        body_sha256: body.sha256,
      };
      res.writeHead(status, { ...headers, "content-type": "application/json" }).end(JSON.stringify(echo));
    } else if (url.pathname === "/bytes") {
      const n = Math.max(0, Math.min(Number(url.searchParams.get("n") ?? 0) || 0, 1 << 30));
      const lengthHeader = url.searchParams.get("chunked") === "1" ? {} : { "content-length": String(n) };
      res.writeHead(status, {
        ...headers,
        ...lengthHeader,
        "content-type": "application/octet-stream",
        "x-bytes-sha256": bytesSha256(n),
      });
      streamBytes(res, n);
    } else if (url.pathname === "/drip") {
      const n = Math.max(10, Math.min(Number(url.searchParams.get("n") ?? 10) || 10, 1 << 20));
      const every = Math.max(0, Math.min(Number(url.searchParams.get("ms") ?? 0) || 0, 10_000));
      res.writeHead(status, {
        ...headers,
        "content-length": String(n),
        "content-type": "application/octet-stream",
        "x-bytes-sha256": bytesSha256(n),
      });
      res.flushHeaders();
      this.drip(res, n, every, 0);
    } else {
      res
        .writeHead(status, { ...headers, "content-type": "application/json" })
        .end(JSON.stringify({ origin: this.name, path: req.url }));
    }
  }

  /** Writes the next tenth of `n` deterministic bytes after `every` ms, from byte `from`, until all are sent. */
  private drip(res: ServerResponse, n: number, every: number, from: number): void {
    const size = Math.ceil(n / 10);
    this.later(every, () => {
      const to = Math.min(n, from + size);
      res.write(deterministicBytes(from, to - from));
      if (to < n) this.drip(res, n, every, to);
      else res.end();
    });
  }

  /** Runs `fn` after `ms` (now if 0); pending runs are cancelled by `stop()`. */
  private later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
