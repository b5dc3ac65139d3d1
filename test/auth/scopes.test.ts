import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/app-types";
import { type Need, authorize, needFor } from "../../src/auth/scopes";
import { MeshError } from "../../src/errors";

const principal = (scope: string, service: string | null = null): Principal => ({
  subject: "t",
  scopes: new Set(scope.split(" ").filter(Boolean)),
  service,
});

const read: Need = { kind: "read" };
const write: Need = { kind: "write" };
const beat = (service: string): Need => ({ kind: "heartbeat", service });

function outcome(p: Principal, need: Need): "ok" | string {
  try {
    authorize(p, need);
    return "ok";
  } catch (err) {
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).status).toBe(403);
    return (err as MeshError).code;
  }
}

describe("authorize", () => {
  it.each<[string, Principal, Need, string]>([
    ["a read token may read", principal("mesh:read"), read, "ok"],
    ["a read token may not write", principal("mesh:read"), write, "ERR_FORBIDDEN"],
    ["a read token may not heartbeat", principal("mesh:read"), beat("users"), "ERR_FORBIDDEN"],
    ["a write token may write", principal("mesh:write"), write, "ok"],
    ["a write token does not imply read", principal("mesh:write"), read, "ERR_FORBIDDEN"],
    ["a write token may heartbeat any service", principal("mesh:write"), beat("users"), "ok"],
    [
      "a write token with svc may still heartbeat other services",
      principal("mesh:write", "users"),
      beat("billing"),
      "ok",
    ],
    ["a heartbeat token may heartbeat", principal("mesh:heartbeat"), beat("users"), "ok"],
    ["a heartbeat token may not write", principal("mesh:heartbeat"), write, "ERR_FORBIDDEN"],
    [
      "a heartbeat token with svc may not write its own service",
      principal("mesh:heartbeat", "users"),
      write,
      "ERR_FORBIDDEN",
    ],
    ["a heartbeat token may not read", principal("mesh:heartbeat"), read, "ERR_FORBIDDEN"],
    [
      "a heartbeat token with svc may heartbeat that service",
      principal("mesh:heartbeat", "users"),
      beat("users"),
      "ok",
    ],
    [
      "a heartbeat token with svc may not heartbeat another service",
      principal("mesh:heartbeat", "users"),
      beat("billing"),
      "ERR_FORBIDDEN",
    ],
    ["a token without scopes may do nothing", principal(""), read, "ERR_FORBIDDEN"],
    ["scope names match exactly", principal("mesh:writer mesh:read:all"), write, "ERR_FORBIDDEN"],
  ])("%s", (_name, p, need, expected) => {
    expect(outcome(p, need)).toBe(expected);
  });

  it("names the missing scope in the message", () => {
    expect(() => authorize(principal("mesh:read"), write)).toThrow("token lacks scope mesh:write");
    expect(() => authorize(principal(""), read)).toThrow("token lacks scope mesh:read");
    expect(() => authorize(principal("mesh:heartbeat", "users"), beat("billing"))).toThrow(/only for service 'users'/);
  });
});

describe("needFor", () => {
  it("maps method and path to the scope a request needs", () => {
    expect(needFor("GET", "/_mesh/api/v1/services")).toEqual({ kind: "read" });
    expect(needFor("HEAD", "/_mesh/api/v1/catalog")).toEqual({ kind: "read" });
    expect(needFor("PUT", "/_mesh/api/v1/services/users")).toEqual({ kind: "write" });
    expect(needFor("PUT", "/_mesh/api/v1/services/users/origins/u1/heartbeat")).toEqual({
      kind: "heartbeat",
      service: "users",
    });
    expect(needFor("DELETE", "/_mesh/api/v1/services/users/origins/u1/heartbeat")).toEqual({ kind: "write" });
  });
});
