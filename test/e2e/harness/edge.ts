import { Response as MfResponse } from "miniflare";
import { type EdgeErrorCode, edgeError, isIpLiteral, proxiedPort } from "./cloudflare";
import { type Agents, createAgents, forwardHttp, forwardWebSocket } from "./edge-forward";

// The Worker's outbound fetch() as Cloudflare's production edge does it, for
// Miniflare's `outboundService`: every fetch of the Worker and of its
// Durable Objects comes here. Origins are reached only by the DNS names a
// test maps to local ports; everything else is answered as the edge would.

/** How a test registers a name. */
export interface MapOptions {
  /** The port in origin URLs that reaches `localPort` (default: `localPort` itself). */
  port?: number;
  /** Orange-clouded: ports outside Cloudflare's proxied list go to 80 / 443 instead. Applies to the whole name. */
  proxied?: boolean;
  /** The local origin speaks TLS: the URL returned is https (its certificate must be one `trust()` was given). */
  tls?: boolean;
  /**
   * The edge answers this error for the name itself and never reaches the
   * origin, as Cloudflare does for a name whose DNS points at an address it
   * refuses (1003) or at a server that refuses connections (521). Applies
   * to the whole name.
   */
  answer?: EdgeErrorCode;
}

/** One outbound request as the edge saw and handled it. */
export interface EdgeRequest {
  at: number;
  method: string;
  /** The URL the Worker fetched. */
  url: string;
  /** A Host header the Worker set that differs from the URL's host (the edge ignores it), else null. */
  hostOverride: string | null;
  /** The Host header the origin received; null when nothing was sent. */
  sentHost: string | null;
  /** `127.0.0.1:<port>` it went to, or null when the edge answered itself. */
  target: string | null;
  /** The status the Worker got (101 for an accepted WebSocket). */
  status: number;
  /** The Cloudflare error code answered instead of the origin (`"1003"`, `"1016"`, `"521"` …), else null. */
  edgeError: EdgeErrorCode | null;
  websocket: boolean;
}

/**
 * How a failed origin connection reaches the Worker: `"cloudflare"` (what the
 * edge answers: 520/521/522/524 responses) or `"connection-lost"` (fetch()
 * rejects with "Network connection lost.", the runtime's error for a
 * connection that broke).
 */
export type TransportFailures = "cloudflare" | "connection-lost";

/** Header by which the handler asks the in-runtime gateway (see `GATEWAY_SCRIPT`) to make fetch() reject. */
export const TRANSPORT_FAILURE_HEADER = "x-edge-harness-connection-lost";

interface HostEntry {
  proxied: boolean;
  answer?: EdgeErrorCode;
  /** URL port → local port. */
  ports: Map<number, number>;
}

const MAX_RECORDED = 10_000;

/**
 * The outbound layer. `handle` is the function Miniflare calls.
 * @example
 * const edge = new Edge();
 * const url = edge.map("a.origin.test", origin.port); // "http://a.origin.test:<port>"
 * new Miniflare({ workers: [{ ..., outboundService: edge.handle }] });
 */
export class Edge {
  /** Every outbound request, oldest first (the most recent 10,000). */
  readonly requests: EdgeRequest[] = [];
  /** See `TransportFailures`; tests may switch it. */
  transportFailures: TransportFailures = "cloudflare";
  private readonly hosts = new Map<string, HostEntry>();
  private agents: Agents;
  private readonly trusted: string[] = [];

  constructor() {
    this.agents = createAgents();
  }

  /** Trusts `pem` (a local https origin's test certificate) from now on, besides the system's CAs. */
  trust(pem: string): void {
    this.trusted.push(pem);
    this.close();
    this.agents = createAgents(this.trusted);
  }

  /**
   * Makes `name` resolve, and its URL port `opts.port` (default `localPort`)
   * reach 127.0.0.1:`localPort`. Returns the origin's base URL.
   */
  map(name: string, localPort: number, opts: MapOptions = {}): string {
    const key = normalise(name);
    if (isIpLiteral(key) || !/^[a-z0-9.-]+$/.test(key)) throw new Error(`edge.map: "${name}" is not a DNS name`);
    const entry: HostEntry = this.hosts.get(key) ?? { proxied: false, ports: new Map() };
    if (opts.proxied !== undefined) entry.proxied = opts.proxied;
    if (opts.answer !== undefined) entry.answer = opts.answer;
    const port = opts.port ?? localPort;
    const tls = opts.tls ?? false;
    entry.ports.set(port, localPort);
    this.hosts.set(key, entry);
    const scheme = tls ? "https" : "http";
    const implicit = (tls && port === 443) || (!tls && port === 80);
    return `${scheme}://${key}${implicit ? "" : `:${port}`}`;
  }

  /** Makes `name` unresolvable again (1016). */
  unmap(name: string): void {
    this.hosts.delete(normalise(name));
  }

  /** Forgets the recorded requests. */
  clear(): void {
    this.requests.length = 0;
  }

  /** Closes the kept-alive origin connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Miniflare's `outboundService`: one outbound fetch of the Worker. */
  readonly handle = async (request: Request): Promise<MfResponse> => {
    const url = new URL(request.url);
    const websocket = request.headers.get("upgrade")?.toLowerCase() === "websocket";
    const asked = request.headers.get("host");
    const record: EdgeRequest = {
      at: Date.now(),
      method: request.method,
      url: request.url,
      hostOverride: asked !== null && asked.toLowerCase() !== url.host.toLowerCase() ? asked : null,
      sentHost: null,
      target: null,
      status: 0,
      edgeError: null,
      websocket,
    };
    const answer = (response: MfResponse, error: EdgeErrorCode | null = null): MfResponse => {
      record.status = response.status;
      record.edgeError = error;
      if (this.requests.length >= MAX_RECORDED) this.requests.shift();
      this.requests.push(record);
      return response;
    };
    const fail = (code: EdgeErrorCode): MfResponse => {
      if (this.transportFailures === "connection-lost" && code.startsWith("52")) {
        return answer(new MfResponse(null, { status: 502, headers: { [TRANSPORT_FAILURE_HEADER]: code } }), code);
      }
      return answer(edgeError(code), code);
    };

    if (url.protocol !== "http:" && url.protocol !== "https:") return fail("1016");
    if (isIpLiteral(url.hostname)) return fail("1003");
    const hostname = normalise(url.hostname);
    const host = this.hosts.get(hostname);
    if (host === undefined) return fail("1016");
    if (host.answer !== undefined) return answer(edgeError(host.answer), host.answer);
    const https = url.protocol === "https:";
    const asWritten = url.port === "" ? (https ? 443 : 80) : Number(url.port);
    const port = host.proxied ? proxiedPort(url.protocol as "http:" | "https:", asWritten) : asWritten;
    const mapped = host.ports.get(port);
    // A name that resolves, on a port nothing listens on: the connection is refused. (A scheme that
    // does not match the origin fails for real: 525 for https to plain http, 520 the other way.)
    if (mapped === undefined) return fail("521");
    const sentHost = port === (https ? 443 : 80) ? hostname : `${hostname}:${port}`;
    record.sentHost = sentHost;
    record.target = `127.0.0.1:${mapped}`;
    const target = {
      port: mapped,
      tls: https,
      host: sentHost,
      servername: hostname,
      path: url.pathname + url.search,
    };
    const out = websocket
      ? await forwardWebSocket(request, target, this.trusted)
      : await forwardHttp(request, target, this.agents);
    if ("failure" in out) return fail(out.failure);
    return answer(out.response);
  };
}

/**
 * A Worker that sits between the mesh and `Edge.handle` inside the runtime:
 * it passes everything through, and makes fetch() reject where the handler
 * marked a broken connection (a Node handler can only answer with a response).
 */
export const GATEWAY_SCRIPT = `export default {
  async fetch(request, env) {
    const response = await env.EDGE.fetch(request);
    if (response.headers.has("${TRANSPORT_FAILURE_HEADER}")) throw new TypeError("Network connection lost.");
    return response;
  },
};`;

/** The name of the gateway Worker that `gatewayWorker` defines. */
export const GATEWAY_NAME = "flaremesh-e2e-edge";

/**
 * Miniflare (v4-style) options of the gateway Worker in front of `edge`;
 * give the Worker under test `outboundService: GATEWAY_NAME`.
 * @example workers: [{ ...worker, outboundService: GATEWAY_NAME }, gatewayWorker(edge, "2026-11-01")]
 */
export function gatewayWorker(edge: Edge, compatibilityDate: string): Record<string, unknown> {
  return {
    name: GATEWAY_NAME,
    modules: true,
    script: GATEWAY_SCRIPT,
    compatibilityDate,
    serviceBindings: { EDGE: edge.handle },
  };
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}
