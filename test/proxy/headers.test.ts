import { describe, expect, it } from "vitest";
import { clientIpOf, downstreamHeaders, hopsOf, hostOf, requestIdOf, upstreamHeaders } from "../../src/proxy/headers";

const facts = { clientIp: "203.0.113.9", proto: "https", host: "api.example.com", requestId: "req-12345678", hops: 1 };

describe("proxy header hygiene", () => {
  it("removes hop-by-hop fields, including those named in Connection", () => {
    const h = upstreamHeaders(
      new Headers({
        connection: "keep-alive, x-secret-hop",
        "keep-alive": "timeout=5",
        "x-secret-hop": "1",
        te: "trailers",
        upgrade: "h2c",
        "proxy-authorization": "Basic x",
        accept: "text/plain",
      }),
      facts,
    );
    for (const name of ["connection", "keep-alive", "x-secret-hop", "te", "upgrade", "proxy-authorization"])
      expect(h.has(name), name).toBe(false);
    expect(h.get("accept")).toBe("text/plain");
  });

  it("ignores names in Connection that are not header names instead of throwing (found by the property test)", () => {
    const incoming = new Headers({ connection: "(Ddo$cC, x-hop ,, a b, ü", "x-hop": "1", accept: "*/*" });
    const h = upstreamHeaders(incoming, facts);
    expect(h.has("x-hop")).toBe(false);
    expect(h.has("connection")).toBe(false);
    expect(h.get("accept")).toBe("*/*");
  });

  it("overwrites client-supplied forwarding fields with what the mesh saw", () => {
    const h = upstreamHeaders(
      new Headers({
        "x-forwarded-for": "1.2.3.4",
        "x-forwarded-proto": "gopher",
        "x-forwarded-host": "evil.com",
        forwarded: "for=1.2.3.4",
        "x-real-ip": "1.2.3.4",
        "x-mesh-identity": "forged",
      }),
      facts,
    );
    expect(h.get("x-forwarded-for")).toBe("203.0.113.9");
    expect(h.get("x-forwarded-proto")).toBe("https");
    expect(h.get("x-forwarded-host")).toBe("api.example.com");
    expect(h.has("forwarded")).toBe(false);
    expect(h.has("x-real-ip")).toBe(false);
    expect(h.has("x-mesh-identity")).toBe(false);
  });

  it("drops client-IP, URL-rewrite, x-envoy-* and any x-mesh-* field the mesh does not set itself", () => {
    const sent = {
      "true-client-ip": "1.2.3.4",
      "x-client-ip": "1.2.3.4",
      "x-original-url": "/admin",
      "x-rewrite-url": "/admin",
      "x-envoy-original-path": "/admin",
      "x-envoy-upstream-rq-timeout-ms": "1",
      "x-mesh-caller": "forged",
      "x-mesh-check-region": "weur",
      "X-Mesh-Anything": "forged",
      "x-meshy": "kept",
      accept: "*/*",
    };
    const h = upstreamHeaders(new Headers(sent), facts);
    for (const name of Object.keys(sent).filter((n) => n !== "x-meshy" && n !== "accept")) {
      expect(h.has(name), name).toBe(false);
    }
    expect(h.get("x-meshy")).toBe("kept");
    expect(h.get("accept")).toBe("*/*");
    expect([...h.keys()].filter((n) => n.startsWith("x-mesh-")).sort()).toEqual(["x-mesh-hops"]);
  });

  it("never passes the client's Host on: the origin gets its URL's host, the client's is in x-forwarded-host", () => {
    const h = upstreamHeaders(new Headers({ host: "api.example.com", accept: "*/*" }), facts);
    expect(h.has("host")).toBe(false);
    expect(h.get("x-forwarded-host")).toBe("api.example.com");
  });

  it("increments the hop count and keeps the request id", () => {
    const h = upstreamHeaders(new Headers({ "x-mesh-hops": "1" }), facts);
    expect(h.get("x-mesh-hops")).toBe("2");
    expect(h.get("x-request-id")).toBe("req-12345678");
  });

  it("keeps a well-formed request id and replaces a malformed one", () => {
    expect(requestIdOf(new Headers({ "x-request-id": "abc-DEF_123.456:7" }))).toBe("abc-DEF_123.456:7");
    expect(requestIdOf(new Headers({ "x-request-id": "bad id with spaces" }))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(new Headers({ "x-request-id": "x".repeat(200) }))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(new Headers())).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes the host from the Host field, else from the URL, and the client address only from cf-connecting-ip", () => {
    const url = new URL("https://api.example.com:8443/users");
    expect(hostOf(new Headers({ host: "users.internal" }), url)).toBe("users.internal");
    expect(hostOf(new Headers(), url)).toBe("api.example.com:8443");
    expect(clientIpOf(new Headers({ "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "1.2.3.4" }))).toBe(
      "203.0.113.9",
    );
    expect(clientIpOf(new Headers({ "x-forwarded-for": "1.2.3.4" }))).toBeNull();
  });

  it("reads hops defensively", () => {
    expect(hopsOf(new Headers({ "x-mesh-hops": "3" }))).toBe(3);
    expect(hopsOf(new Headers({ "x-mesh-hops": "-2" }))).toBe(0);
    expect(hopsOf(new Headers({ "x-mesh-hops": "lots" }))).toBe(0);
  });

  it("adds the mesh's response fields and appends to an origin's server-timing", () => {
    const h = downstreamHeaders(
      new Headers({ "server-timing": "db;dur=3", connection: "close", "content-type": "text/plain" }),
      "users-1",
      2,
      0.4,
      12,
      "rid-12345678",
    );
    expect(h.get("x-mesh-origin")).toBe("users-1");
    expect(h.get("x-mesh-attempts")).toBe("2");
    expect(h.get("server-timing")).toBe("db;dur=3, mesh;dur=0.4, upstream;dur=12.0");
    expect(h.has("connection")).toBe(false);
    expect(h.get("content-type")).toBe("text/plain");
  });
});
