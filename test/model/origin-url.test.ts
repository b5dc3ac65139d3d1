import { describe, expect, it } from "vitest";
import { MeshError } from "../../src/errors";
import { checkOriginUrl, originUrlRefusal } from "../../src/model/origin-url";
import { urlWarnings } from "../../src/model/proxied-ports";
import type { BindingVerdict } from "../../src/model/service-url";

type Outcome = "ok" | "ERR_VALIDATION" | "ERR_ORIGIN_NOT_ALLOWED";

function outcome(raw: string, allowPrivate: boolean): Outcome {
  try {
    checkOriginUrl(raw, { allowPrivate });
    return "ok";
  } catch (err) {
    if (!(err instanceof MeshError)) throw err;
    expect(err.details).toEqual([{ path: "url", message: expect.any(String) }]);
    return err.code as Outcome;
  }
}

const REFUSED = "ERR_ORIGIN_NOT_ALLOWED";
const INVALID = "ERR_VALIDATION";

// [spelling, without MESH_ALLOW_PRIVATE_ORIGINS, with it]
const TABLE: [string, Outcome, Outcome][] = [
  // DNS names: allowed either way
  ["https://api.example.com", "ok", "ok"],
  ["https://localhost.example.com", "ok", "ok"],
  ["https://API.Example.COM./v1", "ok", "ok"],
  ["https://app-eu.tunnel.example.com:8443", "ok", "ok"],
  // public IP literals: Cloudflare answers a Worker's fetch of any IP address with error 1003
  ["https://93.184.216.34:8443/base", REFUSED, "ok"],
  ["http://172.32.0.1", REFUSED, "ok"],
  ["http://172.15.255.255", REFUSED, "ok"],
  ["http://100.128.0.1", REFUSED, "ok"],
  ["http://1.1.1.1", REFUSED, "ok"],
  ["http://16843009", REFUSED, "ok"],
  ["http://0x01010101", REFUSED, "ok"],
  ["http://1.1.257", REFUSED, "ok"],
  ["http://[2606:4700:4700::1111]", REFUSED, "ok"],
  ["http://[2606:4700:4700:0:0:0:0:1111]", REFUSED, "ok"],
  ["http://[::ffff:8.8.8.8]", REFUSED, "ok"],
  ["http://[64:ff9b::808:808]", REFUSED, "ok"],
  // loopback in every spelling the URL parser normalises
  ["http://127.0.0.1:8080", REFUSED, "ok"],
  ["http://127.1", REFUSED, "ok"],
  ["http://2130706433", REFUSED, "ok"],
  ["http://0x7f.0.0.1", REFUSED, "ok"],
  ["http://0177.0.0.1", REFUSED, "ok"],
  ["http://%31%32%37.0.0.1", REFUSED, "ok"],
  ["http://１２７.０.０.１", REFUSED, "ok"],
  ["http://127.0.0.1.", REFUSED, "ok"],
  ["http://127.0.0.1..", REFUSED, "ok"],
  ["http://0x7f.1..", REFUSED, "ok"],
  ["http:\\\\127.0.0.1", REFUSED, "ok"],
  ["http://[::1]", REFUSED, "ok"],
  ["http://[::ffff:127.0.0.1]", REFUSED, "ok"],
  ["http://[::ffff:7f00:1]", REFUSED, "ok"],
  ["http://[::127.0.0.1]", REFUSED, "ok"],
  ["http://[64:ff9b::7f00:1]", REFUSED, "ok"],
  ["http://[2002:7f00:1::]", REFUSED, "ok"],
  ["http://localhost", REFUSED, "ok"],
  ["http://LOCALHOST", REFUSED, "ok"],
  ["http://localhost.", REFUSED, "ok"],
  ["http://foo.localhost:3000", REFUSED, "ok"],
  ["http://printer.local", REFUSED, "ok"],
  ["http://metadata.google.internal", REFUSED, "ok"],
  ["http://nas.home.arpa", REFUSED, "ok"],
  // private, link-local, shared, multicast, unspecified, reserved
  ["http://10.0.0.7:8443", REFUSED, "ok"],
  ["http://172.16.0.1", REFUSED, "ok"],
  ["http://172.31.255.254", REFUSED, "ok"],
  ["http://192.168.1.1", REFUSED, "ok"],
  ["http://169.254.169.254/latest", REFUSED, "ok"],
  ["http://100.64.0.1", REFUSED, "ok"],
  ["http://224.0.0.1", REFUSED, "ok"],
  ["http://0.0.0.0", REFUSED, "ok"],
  ["http://0", REFUSED, "ok"],
  ["http://255.255.255.255", REFUSED, "ok"],
  ["http://240.0.0.1", REFUSED, "ok"],
  ["http://[::]", REFUSED, "ok"],
  ["http://[fe80::1]", REFUSED, "ok"],
  ["http://[fc00::1]", REFUSED, "ok"],
  ["http://[fd12:3456::1]", REFUSED, "ok"],
  ["http://[ff02::1]", REFUSED, "ok"],
  ["http://[::ffff:169.254.169.254]", REFUSED, "ok"],
  ["http://[64:ff9b::a00:1]", REFUSED, "ok"],
  ["http://[2002:c0a8:101::1]", REFUSED, "ok"],
  ["http://[2001:0:4136:e378::1]", REFUSED, "ok"],
  // not an absolute http(s) base URL: refused whatever the setting
  ["ftp://example.com", INVALID, INVALID],
  ["service://USERS/api", INVALID, INVALID], // only where service bindings may be named (origins, not sinks)
  ["file:///etc/passwd", INVALID, INVALID],
  ["javascript:alert(1)", INVALID, INVALID],
  ["example.com", INVALID, INVALID],
  ["/relative/path", INVALID, INVALID],
  ["", INVALID, INVALID],
  ["http://user:pw@example.com", INVALID, INVALID],
  ["http://user@127.0.0.1", INVALID, INVALID],
  ["https://example.com/?x=1", INVALID, INVALID],
  ["https://example.com/?", INVALID, INVALID],
  ["https://example.com/#top", INVALID, INVALID],
  ["http://exa\nmple.com", INVALID, INVALID],
  [" http://example.com", INVALID, INVALID],
  ["http://example.com:0", INVALID, INVALID],
  ["http://a..b.com", INVALID, INVALID],
  ["http://1.2.3.4.5", INVALID, INVALID],
];

describe("checkOriginUrl", () => {
  it.each(TABLE)("%s → %s (private allowed: %s)", (raw, strict, lenient) => {
    expect(outcome(raw, false)).toBe(strict);
    expect(outcome(raw, true)).toBe(lenient);
  });

  it("returns the parsed URL so the normalised form can be stored", () => {
    expect(checkOriginUrl("HTTPS://API.example.com:443/base", { allowPrivate: false }).href).toBe(
      "https://api.example.com/base",
    );
  });

  it("says which host was refused and why, and how to allow it locally", () => {
    const err = (() => {
      try {
        checkOriginUrl("http://0x7f.0.0.1:9000", { allowPrivate: false });
      } catch (e) {
        return e as MeshError;
      }
    })();
    expect(err?.status).toBe(422);
    expect(err?.message).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(err?.message).toMatch(/MESH_ALLOW_PRIVATE_ORIGINS/);
  });

  it("says a public IP address cannot be fetched from a Worker (1003), and what to use instead", () => {
    const err = caught(() => checkOriginUrl("https://93.184.216.34:8443", { allowPrivate: false }));
    expect(err).toMatchObject({ code: REFUSED, status: 422 });
    expect(err.message).toMatch(/93\.184\.216\.34 is an IP address, and Cloudflare Workers cannot fetch IP addresses/);
    expect(err.message).toMatch(/error 1003/);
    expect(err.message).toMatch(
      /a DNS name, a Cloudflare Tunnel hostname or a service binding \(service:\/\/BINDING\)/,
    );
    expect(err.details[0]?.message).toMatch(/use a DNS name/);
  });

  it("tells what to use instead of a special-use name", () => {
    const err = caught(() => checkOriginUrl("http://metadata.google.internal", { allowPrivate: false }));
    expect(err.message).toMatch(/special-use name .* Cloudflare's edge cannot reach it; use a DNS name/);
  });

  it("names the field it was given in errors", () => {
    expect(() => checkOriginUrl("ftp://x", { allowPrivate: false, field: "sink.url" })).toThrowError(
      expect.objectContaining({ code: "ERR_VALIDATION", details: [{ path: "sink.url", message: expect.any(String) }] }),
    );
  });
});

function caught(fn: () => unknown): MeshError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MeshError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("checkOriginUrl: service bindings", () => {
  const env: Record<string, BindingVerdict> = { USERS: "service", MESH_SIGNING_KEY: "not-a-service" };
  const binding = (name: string): BindingVerdict => env[name] ?? "missing";
  const check = (raw: string, allowPrivate = false) => checkOriginUrl(raw, { allowPrivate, binding });

  it("accepts service://BINDING with or without a base path, in production and development", () => {
    expect(check("service://USERS").href).toBe("service://USERS");
    expect(check("service://USERS/api/v1/").pathname).toBe("/api/v1/");
    expect(check("service://USERS/api", true).hostname).toBe("USERS");
  });

  it.each([
    ["service://USERS:8080/", "must not give a port"],
    ["service://u:p@USERS/", "credentials"],
    ["service://USERS/api?x=1", "without a query"],
    ["service://USERS/api#x", "without a fragment"],
    ["service://users-api/", "must name a service binding"],
    ["service:///api", "must name a service binding"],
    ["service:USERS", "must name a service binding"],
  ])("refuses %s with 400 (%s)", (raw, why) => {
    const err = caught(() => check(raw));
    expect(err.code).toBe("ERR_VALIDATION");
    expect(err.message).toContain(why);
  });

  it.each([
    ["service://REGISTRY/", "one of the mesh's own bindings"],
    ["service://LOG_BUFFER/", "one of the mesh's own bindings"],
    ["service://CHECKER/", "one of the mesh's own bindings"],
    ["service://ASSETS/", "one of the mesh's own bindings"],
    [
      "service://BILLING/",
      'which this Worker does not have: add it to wrangler.toml ([[services]] binding = "BILLING"',
    ],
    ["service://MESH_SIGNING_KEY/", "is not a service binding (it has no fetch())"],
  ])("refuses %s with 422 ERR_ORIGIN_NOT_ALLOWED naming the binding and the fix", (raw, why) => {
    const err = caught(() => check(raw, true));
    expect(err).toMatchObject({ code: REFUSED, status: 422, details: [{ path: "url", message: expect.any(String) }] });
    expect(err.message).toContain(why);
    expect(err.message).toContain(new URL(raw).hostname);
  });
});

describe("urlWarnings", () => {
  const warn = (raw: string, allowPrivate = false) => urlWarnings(new URL(raw), { allowPrivate });

  it.each([
    "https://api.example.com",
    "https://api.example.com:443",
    "http://api.example.com:80",
    "http://api.example.com:443",
    "https://api.example.com:8443",
    "http://api.example.com:8080",
    "http://api.example.com:8880",
    "https://api.example.com:2053",
    "http://api.example.com:2095",
    "service://USERS/api",
  ])("does not warn about %s (a proxied or default port, or no port at all)", (raw) => {
    expect(warn(raw)).toEqual([]);
  });

  it("warns about a port outside Cloudflare's proxied list: it only works on a DNS-only name", () => {
    const [w, ...rest] = warn("https://api.example.com:9443/base");
    expect(rest).toEqual([]);
    expect(w).toMatch(/^url port 9443 is not one of Cloudflare's proxied ports \(80, 443, 2052, .*, 8880\)/);
    expect(w).toMatch(/only works when api\.example\.com is not proxied by Cloudflare \(a DNS-only record\)/);
    expect(warn("http://api.example.com:3000", true)).toHaveLength(1);
  });

  it("does not warn in local development about addresses that never go through Cloudflare", () => {
    expect(warn("http://127.0.0.1:9001", true)).toEqual([]);
    expect(warn("http://localhost:3000", true)).toEqual([]);
    expect(warn("http://[::1]:3000", true)).toEqual([]);
  });
});

describe("originUrlRefusal (the policy where a stored URL is used)", () => {
  it("refuses stored IP literals and special-use names unless private origins are allowed", () => {
    expect(originUrlRefusal("http://127.0.0.1:9001", false)).toMatch(
      /^policy: host 127\.0\.0\.1 is a loopback address/,
    );
    expect(originUrlRefusal("http://[::1]:9001", false)).toMatch(/loopback/);
    expect(originUrlRefusal("http://api.localhost", false)).toMatch(/special-use name/);
    expect(originUrlRefusal("https://203.0.113.5", false)).toMatch(/MESH_ALLOW_PRIVATE_ORIGINS/);
    expect(originUrlRefusal("http://127.0.0.1:9001", true)).toBeNull();
    expect(originUrlRefusal("https://api.example.com", false)).toBeNull();
    expect(originUrlRefusal("service://USERS/api", false)).toBeNull();
  });
});
