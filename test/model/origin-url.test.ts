import { describe, expect, it } from "vitest";
import { MeshError } from "../../src/errors";
import { checkOriginUrl } from "../../src/model/origin-url";

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
  // public: allowed either way
  ["https://api.example.com", "ok", "ok"],
  ["https://93.184.216.34:8443/base", "ok", "ok"],
  ["http://172.32.0.1", "ok", "ok"],
  ["http://172.15.255.255", "ok", "ok"],
  ["http://100.128.0.1", "ok", "ok"],
  ["http://[2606:4700:4700::1111]", "ok", "ok"],
  ["http://[::ffff:8.8.8.8]", "ok", "ok"],
  ["http://[64:ff9b::808:808]", "ok", "ok"],
  ["https://localhost.example.com", "ok", "ok"],
  ["https://API.Example.COM./v1", "ok", "ok"],
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

  it("names the field it was given in errors", () => {
    expect(() => checkOriginUrl("ftp://x", { allowPrivate: false, field: "sink.url" })).toThrowError(
      expect.objectContaining({ code: "ERR_VALIDATION", details: [{ path: "sink.url", message: expect.any(String) }] }),
    );
  });
});
