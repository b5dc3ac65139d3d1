import { describe, expect, it } from "vitest";
import { EDGE_PEEK_MAX, classifyEdgeError, needsPeek, peekEdgeError } from "../../src/health/edge-error";

/** The edge error of an answer, and the answer to read from then on. */
const edgeErrorOf = async (res: Response) => (await peekEdgeError(res)).edge;

const TEXT = "text/plain; charset=UTF-8";

/** An answer as the runtime hands it over: status, headers, body (a Content-Length set for string bodies). */
function answer(status: number, body: string | null, type: string | null = TEXT): Response {
  const headers = new Headers();
  if (type !== null) headers.set("content-type", type);
  if (body !== null) headers.set("content-length", String(new TextEncoder().encode(body).byteLength));
  return new Response(body, { status, headers });
}

// [case, status, body, content type, edge error code or null]
const CASES: [string, number, string | null, string | null, string | null][] = [
  ["Cloudflare's 1003 for a fetch of an IP address", 403, "error code: 1003", TEXT, "1003"],
  ["Cloudflare's 1016 for a name that does not resolve", 530, "error code: 1016", TEXT, "1016"],
  ["Cloudflare's 1033 for a tunnel that is down", 530, "error code: 1033", TEXT, "1033"],
  ["Cloudflare's 521 for a refused connection", 521, "error code: 521", TEXT, "521"],
  ["Cloudflare's 522 connect timeout", 522, "error code: 522", TEXT, "522"],
  ["Cloudflare's 525 TLS handshake failure", 525, "error code: 525", TEXT, "525"],
  ["a 520 with an HTML page", 520, "<html>oops</html>", "text/html", "520"],
  ["a 527 with no body (HEAD)", 527, null, null, "527"],
  ["a 530 with no body", 530, null, TEXT, "530"],
  ["a 1xxx code with a trailing newline", 403, "error code: 1003\n", "text/plain", "1003"],
  ["the origin's own 503", 503, "Service Unavailable", TEXT, null],
  ["the origin's own 503 in JSON", 503, '{"error":"maintenance"}', "application/json", null],
  ["the origin's own 403", 403, "Forbidden", TEXT, null],
  ["the origin's own 403 whose JSON mentions an error code", 403, '{"error code: 1003":1}', "application/json", null],
  ["an origin's 403 in HTML that quotes the text", 403, "error code: 1003", "text/html", null],
  ["an origin's 500", 500, "error code: 500", TEXT, null],
  ["a 200 that happens to say it", 200, "error code: 1003", TEXT, null],
  ["a 519", 519, "error code: 519", TEXT, null],
  ["a 528", 528, null, null, null],
];

describe("classifying edge errors", () => {
  it.each(CASES)("%s (%i) → %s", async (_what, status, body, type, code) => {
    const res = answer(status, body, type);
    expect((await edgeErrorOf(res))?.code ?? null).toBe(code);
  });

  it("names what each edge error means", () => {
    expect(classifyEdgeError(403, "error code: 1003")).toEqual({
      code: "1003",
      meaning: "direct IP access not allowed",
    });
    expect(classifyEdgeError(521, null)).toEqual({ code: "521", meaning: "the origin refused the connection" });
    expect(classifyEdgeError(403, "error code: 1999")).toEqual({ code: "1999", meaning: "Cloudflare edge error" });
  });

  it("peeks only at small text/plain 4xx/5xx answers with a length, never at a stream", () => {
    const h = (fields: Record<string, string>) => new Headers(fields);
    expect(needsPeek(403, h({ "content-type": TEXT, "content-length": "16" }))).toBe(true);
    expect(needsPeek(403, h({ "content-type": TEXT, "content-length": String(EDGE_PEEK_MAX + 1) }))).toBe(false);
    expect(needsPeek(403, h({ "content-type": TEXT }))).toBe(false);
    // Without a length only when Cloudflare marked it as its own (the runtime may drop the length).
    expect(needsPeek(403, h({ "content-type": TEXT, server: "cloudflare" }))).toBe(true);
    expect(needsPeek(403, h({ "content-type": TEXT, "cf-ray": "8f1e2d3c4b5a6978-LHR" }))).toBe(true);
    expect(needsPeek(403, h({ "content-type": TEXT, server: "nginx" }))).toBe(false);
    expect(needsPeek(200, h({ "content-type": TEXT, "content-length": "16" }))).toBe(false);
    expect(needsPeek(403, h({ "content-type": "application/json", "content-length": "16" }))).toBe(false);
  });

  it("hands back the origin's own answer readable in full, with its status and headers, after peeking at it", async () => {
    const peeked = await peekEdgeError(answer(403, "Forbidden"));
    expect(peeked.edge).toBeNull();
    expect(peeked.response.status).toBe(403);
    expect(peeked.response.headers.get("content-type")).toBe(TEXT);
    expect(await peeked.response.text()).toBe("Forbidden");
  });

  it("judges a WebSocket upgrade's answer by its status only", async () => {
    expect((await peekEdgeError(answer(521, "error code: 521"), { body: false })).edge?.code).toBe("521");
    const res = answer(403, "error code: 1003");
    expect(await peekEdgeError(res, { body: false })).toEqual({ edge: null, response: res });
  });

  it("reads Cloudflare's one-line answer handed over without a length, at most EDGE_PEEK_MAX bytes of it", async () => {
    const stream = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      });
    const marked = { "content-type": TEXT, server: "cloudflare" };
    expect(await edgeErrorOf(new Response(stream("error code: 1003"), { status: 403, headers: marked }))).toEqual({
      code: "1003",
      meaning: "direct IP access not allowed",
    });
    const text = `error code: 1003${" ".repeat(EDGE_PEEK_MAX)}x`;
    const long = await peekEdgeError(new Response(stream(text), { status: 403, headers: marked }));
    expect(long.edge).toBeNull();
    expect(await long.response.text()).toBe(text);
  });

  it("does not read a streamed text/plain answer of an origin not behind Cloudflare (no Content-Length)", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("error code: 1003"));
        controller.close();
      },
    });
    const res = new Response(body, { status: 403, headers: { "content-type": TEXT } });
    const before = pulled;
    expect(await peekEdgeError(res)).toEqual({ edge: null, response: res });
    expect(pulled).toBe(before);
    expect(await res.text()).toBe("error code: 1003");
  });
});
