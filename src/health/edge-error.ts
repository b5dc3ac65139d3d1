/**
 * Answers Cloudflare's edge makes itself instead of the origin: error 1003
 * for a fetch of an IP address, 1016 for a name that does not resolve, 52x
 * when the origin cannot be reached (521 refused, 522 connect timeout, 525
 * TLS handshake …). A Worker's fetch() resolves with them as if the origin
 * had answered, so without this they would count as the origin's own 4xx/5xx:
 * a 403 would even pass as a healthy answer. They count as connect failures
 * (retries, outlier ejection, load estimates, active checks) instead.
 */

/** One edge error: its code (`"1003"`, `"521"` …) and what it means. */
export interface EdgeError {
  code: string;
  meaning: string;
}

const MEANINGS: Record<string, string> = {
  "1003": "direct IP access not allowed",
  "1014": "CNAME cross-user banned",
  "1016": "origin DNS error",
  "1033": "Cloudflare Tunnel error",
  "520": "unknown error from the origin",
  "521": "the origin refused the connection",
  "522": "connection to the origin timed out",
  "523": "origin is unreachable",
  "524": "the origin did not answer in time",
  "525": "TLS handshake with the origin failed",
  "526": "invalid origin certificate",
  "527": "Railgun error",
  "530": "origin is unreachable",
};

/** Largest body looked into: Cloudflare's answers to a Worker are one line, `error code: 1003`. */
export const EDGE_PEEK_MAX = 256;

const BODY = /^\s*error code: (1\d{3}|52[0-7]|530)\s*$/;

/**
 * Whether an answer's body must be read to tell an edge error from the
 * origin's own: a 4xx/5xx `text/plain` answer with a Content-Length of at
 * most EDGE_PEEK_MAX, or without a length but marked as Cloudflare's
 * (`server: cloudflare` or a `cf-ray`: the runtime may hand the edge's
 * one-line answer over without a length). Anything else — every answer of
 * an origin not behind Cloudflare, every 1xx–3xx — streams untouched.
 * @example needsPeek(403, new Headers({ "content-type": "text/plain; charset=UTF-8", "content-length": "16" })) // true
 */
export function needsPeek(status: number, headers: Headers): boolean {
  if (status < 400) return false;
  const type = headers.get("content-type");
  if (type === null || !/^\s*text\/plain\b/i.test(type)) return false;
  const declared = headers.get("content-length");
  if (declared === null) return headers.get("server")?.toLowerCase() === "cloudflare" || headers.has("cf-ray");
  const length = Number(declared);
  return Number.isInteger(length) && length > 0 && length <= EDGE_PEEK_MAX;
}

/**
 * Classifies an answer by its status and, when peeked, its body: a 52x
 * (520–527) or 530 status is Cloudflare's own class; any other status is an
 * edge error only with the one-line body `error code: 1xxx` (an origin's
 * 403 or 503 stays the origin's answer).
 * @example classifyEdgeError(403, "error code: 1003") // { code: "1003", meaning: "direct IP access not allowed" }
 */
export function classifyEdgeError(status: number, body: string | null): EdgeError | null {
  const match = body === null ? null : BODY.exec(body);
  const code = match?.[1] ?? ((status >= 520 && status <= 527) || status === 530 ? String(status) : null);
  if (code === null) return null;
  return { code, meaning: MEANINGS[code] ?? "Cloudflare edge error" };
}

/** How an edge error reads in errors, logs and events. */
export function describeEdgeError(edge: EdgeError): string {
  return `Cloudflare answered error ${edge.code} (${edge.meaning}) instead of the origin`;
}

/**
 * The edge error an answer is, if any, reading at most EDGE_PEEK_MAX bytes
 * of a copy of its body when `needsPeek` says so; the answer itself is left
 * unread for the caller.
 * @example const edge = await edgeErrorOf(await fetch(url)); if (edge) await res.body?.cancel()
 */
export async function edgeErrorOf(res: Response): Promise<EdgeError | null> {
  if (!needsPeek(res.status, res.headers) || res.body === null) return classifyEdgeError(res.status, null);
  return classifyEdgeError(res.status, await readAtMost(res.clone().body!, EDGE_PEEK_MAX));
}

/** A stream of at most `max` bytes as text, or null (and the rest cancelled) when it is longer. */
async function readAtMost(body: ReadableStream<Uint8Array>, max: number): Promise<string | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (size > max) return null;
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
