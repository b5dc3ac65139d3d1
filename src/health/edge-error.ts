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

/** An answer after {@link peekEdgeError}: the edge error it is, if any, and the answer to use from now on. */
export interface Peeked {
  edge: EdgeError | null;
  /** The answer with its body intact: the same object, or a copy whose body starts with the bytes peeked at. */
  response: Response;
}

/**
 * The edge error an answer is, if any, reading at most EDGE_PEEK_MAX (+1)
 * bytes of its body when `needsPeek` says so and the status alone does not
 * (a 520–527 is Cloudflare's whatever its body). The body is read directly,
 * not through a tee'ing `clone()`; an answer that is not an edge error comes
 * back as a copy that streams the bytes read and then the rest. With
 * `body: false` (the answer to a WebSocket upgrade, whose body, once read,
 * holds the runtime's next fetch back) only the status counts.
 * @example const { edge, response } = await peekEdgeError(await fetch(url))
 */
export async function peekEdgeError(res: Response, opts: { body?: boolean } = {}): Promise<Peeked> {
  const statusSays = res.status >= 520 && res.status <= 527;
  if (statusSays || opts.body === false || !needsPeek(res.status, res.headers) || res.body === null)
    return { edge: classifyEdgeError(res.status, null), response: res };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (!done && size <= EDGE_PEEK_MAX) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      size += next.value.byteLength;
    }
  }
  const text = done ? new TextDecoder().decode(concat(chunks, size)) : null;
  const edge = classifyEdgeError(res.status, text);
  if (edge !== null) {
    await reader.cancel().catch(() => {});
    return { edge, response: res };
  }
  const init = { status: res.status, statusText: res.statusText, headers: res.headers };
  if (done) return { edge: null, response: new Response(concat(chunks, size), init) };
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { edge: null, response: new Response(rest, init) };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
