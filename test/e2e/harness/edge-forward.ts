import { type IncomingMessage, type OutgoingHttpHeaders, Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import {
  Headers as MfHeaders,
  Response as MfResponse,
  WebSocketPair,
  _transformsForContentEncodingAndContentType,
  coupleWebSocket,
} from "miniflare";
import WebSocket from "ws";
import type { EdgeErrorCode } from "./cloudflare";

// Sends one request of the Worker's to a local port and hands back the
// origin's answer unchanged: bodies stream both ways, headers keep their
// repeats (Set-Cookie), redirects are not followed, WebSocket upgrades are
// coupled to the Worker's side.

/** Where one request goes. */
export interface Target {
  /** The local port on 127.0.0.1. */
  port: number;
  tls: boolean;
  /** The Host header (and TLS server name's host) the origin sees. */
  host: string;
  servername: string;
  /** Path and query. */
  path: string;
}

/** The origin's answer, or the edge error its failure maps to. */
export type Forwarded = { response: MfResponse } | { failure: EdgeErrorCode; message: string };

/** Connections to origins, kept alive as Cloudflare keeps them. */
export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** Cloudflare's edge gives up on an origin that sends no response headers within 100 s (error 524). */
const HEADERS_TIMEOUT_MS = 100_000;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);
const WS_REQUEST_SKIP = new Set([
  ...HOP_BY_HOP,
  "host",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
]);
const WS_RESPONSE_SKIP = new Set([...HOP_BY_HOP, "sec-websocket-accept", "sec-websocket-extensions"]);

/** Node's codes for an origin certificate that does not verify (self-signed, wrong name, expired …). */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** Connection pools with `trust` added to the trusted certificates (for https origins with a test certificate). */
export function createAgents(trust: string[] = []): Agents {
  return {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true, ...(trust.length ? { ca: trust } : {}) }),
  };
}

/**
 * Sends `request` to `target` and resolves when response headers arrive.
 * @example const out = await forwardHttp(request, { port: 4100, tls: false, host: "a.origin.test", servername: "a.origin.test", path: "/x" }, agents);
 */
export function forwardHttp(request: Request, target: Target, agents: Agents): Promise<Forwarded> {
  return new Promise((resolve) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of request.headers) if (!HOP_BY_HOP.has(name) && name !== "host") headers[name] = value;
    headers.host = target.host;
    const send = target.tls ? httpsRequest : httpRequest;
    const req = send({
      host: "127.0.0.1",
      port: target.port,
      method: request.method,
      path: target.path,
      headers,
      agent: target.tls ? agents.https : agents.http,
      servername: target.servername,
    });
    const timer = setTimeout(() => req.destroy(new Error("no response headers within 100 s")), HEADERS_TIMEOUT_MS);
    req.once("response", (res) => {
      clearTimeout(timer);
      resolve({ response: toResponse(res, request.method) });
    });
    req.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ failure: classify(err), message: err.message });
    });
    if (request.body === null) {
      req.end();
      return;
    }
    const body = Readable.fromWeb(request.body as unknown as NodeReadableStream);
    body.once("error", (err) => req.destroy(err));
    body.pipe(req);
  });
}

/**
 * Opens the WebSocket `request` asks for at `target`; on success the answer
 * is a 101 whose `webSocket` is coupled to the origin's socket.
 * @example const out = await forwardWebSocket(request, target, ["…pem"]);
 */
export function forwardWebSocket(request: Request, target: Target, trust: string[]): Promise<Forwarded> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) if (!WS_REQUEST_SKIP.has(name)) headers[name] = value;
    headers.host = target.host;
    const protocols = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    const ws = new WebSocket(`${target.tls ? "wss" : "ws"}://127.0.0.1:${target.port}${target.path}`, protocols, {
      headers,
      followRedirects: false,
      perMessageDeflate: false,
      // Passed on to tls.connect (ws's types leave it out).
      ...({ servername: target.servername } as object),
      ...(trust.length ? { ca: trust } : {}),
    });
    ws.once("upgrade", (res) => {
      const [worker, client] = Object.values(new WebSocketPair());
      const responseHeaders = copyHeaders(res.rawHeaders, WS_RESPONSE_SKIP);
      resolve(
        coupleWebSocket(ws as never, client!).then(() => ({
          response: new MfResponse(null, { status: 101, webSocket: worker!, headers: responseHeaders }),
        })),
      );
    });
    ws.once("unexpected-response", (_req, res) => resolve({ response: toResponse(res, "GET") }));
    ws.once("error", (err: NodeJS.ErrnoException) => resolve({ failure: classify(err), message: err.message }));
  });
}

/** The edge error a failed origin connection comes to. */
function classify(err: NodeJS.ErrnoException): EdgeErrorCode {
  if (err.code === "ECONNREFUSED") return "521";
  if (err.code === "ETIMEDOUT") return "522";
  if (err.message.startsWith("no response headers")) return "524";
  if (err.code !== undefined && CERTIFICATE_ERRORS.test(err.code)) return "526";
  if (err.code === "EPROTO" || err.code?.startsWith("ERR_SSL")) return "525";
  return "520"; // reset, closed without an answer, malformed answer
}

/** The origin's response as Miniflare hands it to workerd, its body streaming. */
function toResponse(res: IncomingMessage, method: string): MfResponse {
  const headers = copyHeaders(res.rawHeaders, HOP_BY_HOP);
  const status = res.statusCode ?? 502;
  const bodyless = method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (bodyless) {
    res.resume();
    return new MfResponse(null, { status, statusText: res.statusMessage, headers });
  }
  let body: Readable = res;
  // Miniflare compresses what it hands workerd when the headers say so and the type is one Cloudflare
  // compresses: give it the decoded bytes then, or they would be compressed twice. The Worker still
  // sees the origin's content-encoding and decodes the same content.
  const encoding = headers.get("content-encoding") ?? undefined;
  if (_transformsForContentEncodingAndContentType(encoding, headers.get("content-type")).length > 0) {
    for (const coding of encoding!
      .toLowerCase()
      .split(",")
      .map((c) => c.trim())
      .reverse()) {
      const decoder =
        coding === "br" ? createBrotliDecompress() : coding.endsWith("deflate") ? createInflate() : createGunzip();
      body.once("error", (err) => decoder.destroy(err));
      body = body.pipe(decoder);
    }
    headers.delete("content-length");
  }
  return new MfResponse(Readable.toWeb(body) as never, { status, statusText: res.statusMessage, headers });
}

function copyHeaders(raw: string[], skip: ReadonlySet<string>): MfHeaders {
  const headers = new MfHeaders();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!skip.has(name)) headers.append(name, raw[i + 1]!);
  }
  return headers;
}
