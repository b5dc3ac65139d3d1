import { describe, expect, it } from "vitest";
import { ServiceInput, type ServiceConfig } from "../../src/model/service";
import { compileRoutes, normalizeHost, prefixMatches } from "../../src/proxy/route-table";

const svc = (name: string, routes: { host?: string; path_prefix?: string }[]): ServiceConfig => ({
  name,
  ...ServiceInput.parse({ routes }),
});

describe("route matching", () => {
  const matcher = compileRoutes([
    svc("any-root", [{}]),
    svc("any-users", [{ path_prefix: "/users" }]),
    svc("wild", [{ host: "*.example.com" }]),
    svc("wild-deep", [{ host: "*.eu.example.com", path_prefix: "/" }]),
    svc("exact-root", [{ host: "api.example.com" }]),
    svc("exact-users", [{ host: "api.example.com", path_prefix: "/users" }]),
    svc("exact-users-admin", [{ host: "api.example.com", path_prefix: "/users/admin" }]),
  ]);
  const match = (host: string, path: string) => matcher.match(host, path)?.service ?? null;

  it("prefers the exact host, then the longest path prefix", () => {
    expect(match("api.example.com", "/users/7")).toBe("exact-users");
    expect(match("api.example.com", "/users/admin/x")).toBe("exact-users-admin");
    expect(match("api.example.com", "/orders")).toBe("exact-root");
  });

  it("uses the longest matching wildcard before routes without a host", () => {
    expect(match("www.example.com", "/users")).toBe("wild");
    expect(match("a.eu.example.com", "/")).toBe("wild-deep");
    expect(match("deep.a.example.com", "/x")).toBe("wild");
  });

  it("does not let a wildcard match the bare domain", () => {
    expect(match("example.com", "/users/1")).toBe("any-users");
    expect(match("example.com", "/x")).toBe("any-root");
  });

  it("ignores case, port and a trailing dot in the Host header", () => {
    expect(match("API.Example.com:8443", "/users")).toBe("exact-users");
    expect(match("api.example.com.", "/users")).toBe("exact-users");
  });

  it("matches prefixes on whole path segments", () => {
    expect(prefixMatches("/users", "/users")).toBe(true);
    expect(prefixMatches("/users", "/users/1")).toBe(true);
    expect(prefixMatches("/users", "/usersettings")).toBe(false);
    expect(prefixMatches("/users/", "/users/1")).toBe(true);
    expect(prefixMatches("/", "/anything")).toBe(true);
    expect(match("other.org", "/usersettings")).toBe("any-root");
  });

  it("returns null when nothing matches", () => {
    const only = compileRoutes([svc("a", [{ host: "a.com", path_prefix: "/a" }])]);
    expect(only.match("a.com", "/b")).toBeNull();
    expect(only.match("b.com", "/a")).toBeNull();
  });

  it("breaks ties between services by name, whatever the registration order", () => {
    const one = compileRoutes([svc("zeta", [{ path_prefix: "/x" }]), svc("alpha", [{ path_prefix: "/x" }])]);
    const two = compileRoutes([svc("alpha", [{ path_prefix: "/x" }]), svc("zeta", [{ path_prefix: "/x" }])]);
    expect(one.match("h", "/x")?.service).toBe("alpha");
    expect(two.match("h", "/x")?.service).toBe("alpha");
  });

  it("normalizes IPv6 literal hosts", () => {
    expect(normalizeHost("[::1]:8787")).toBe("[::1]");
  });
});
