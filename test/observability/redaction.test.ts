import { describe, expect, it } from "vitest";
import { clientIpMode, redactClientIp, truncateIp } from "../../src/observability/client-ip";
import { toLogEntry } from "../../src/observability/logs";
import { outcome } from "./helpers";

const KEY = "test-key";

describe("client IP in request logs (MESH_LOG_CLIENT_IP)", () => {
  it("defaults to truncated for unset or unknown values", () => {
    expect(clientIpMode(undefined)).toBe("truncated");
    expect(clientIpMode("nonsense")).toBe("truncated");
    expect(clientIpMode(" HASHED ")).toBe("hashed");
  });

  it("full keeps the address as the proxy saw it", async () => {
    expect(await redactClientIp("203.0.113.77", "full", KEY)).toBe("203.0.113.77");
  });

  it("truncated keeps the /24 of IPv4 and the /48 of IPv6", async () => {
    expect(await redactClientIp("203.0.113.77", "truncated", KEY)).toBe("203.0.113.0");
    expect(await redactClientIp("2001:db8:85a3:8d3:1319:8a2e:370:7348", "truncated", KEY)).toBe("2001:db8:85a3::");
    expect(truncateIp("2001:db8::1")).toBe("2001:db8::");
    expect(truncateIp("::ffff:198.51.100.9")).toBe("198.51.100.0");
  });

  it("hashed is stable for the same address and key, differs across addresses and keys, and is not the address", async () => {
    const a = await redactClientIp("203.0.113.77", "hashed", KEY);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(await redactClientIp("203.0.113.77", "hashed", KEY)).toBe(a);
    expect(await redactClientIp("::ffff:203.0.113.77", "hashed", KEY)).toBe(a);
    expect(await redactClientIp("203.0.113.78", "hashed", KEY)).not.toBe(a);
    expect(await redactClientIp("203.0.113.77", "hashed", "another-key")).not.toBe(a);
  });

  it("off records no address, and nothing that is not an address is recorded unless full", async () => {
    expect(await redactClientIp("203.0.113.77", "off", KEY)).toBeNull();
    expect(await redactClientIp("not-an-ip", "truncated", KEY)).toBeNull();
    expect(await redactClientIp("not-an-ip", "hashed", KEY)).toBeNull();
    expect(await redactClientIp(null, "full", KEY)).toBeNull();
  });
});

describe("request log entry", () => {
  it("has exactly the documented fields, with an ISO time", async () => {
    const entry = await toLogEntry(outcome({ ejected: { service: "users", origin: "users-1" } }), "truncated", KEY);
    expect(Object.keys(entry).sort()).toEqual(
      [
        "attempts",
        "bytes_out",
        "caller",
        "client_ip",
        "colo",
        "country",
        "duration_ms",
        "error_code",
        "host",
        "method",
        "origin_id",
        "path",
        "pool",
        "request_id",
        "service",
        "status",
        "ts",
        "upstream_ms",
      ].sort(),
    );
    expect(entry.ts).toBe("2026-11-28T10:00:00.000Z");
    expect(entry.client_ip).toBe("203.0.113.0");
  });

  it("never carries the query string, nor anything an outcome might smuggle in (headers, cookies, tokens)", async () => {
    const sneaky = {
      ...outcome({ path: "/login?token=secret#frag" }),
      authorization: "Bearer x",
      cookie: "sid=1",
      headers: { "x-mesh-identity": "jwt" },
    };
    const text = JSON.stringify(await toLogEntry(sneaky, "full", KEY));
    expect(JSON.parse(text).path).toBe("/login");
    expect(text).not.toMatch(/secret|Bearer|sid=1|x-mesh-identity|jwt/);
  });
});
