import { describe, expect, it } from "vitest";
import { type Intention, IntentionInput } from "../../src/model/intention";
import { decide, indexIntentions } from "../../src/policy/intentions";

const intention = (source: string, destination: string, body: unknown): Intention => ({
  source,
  destination,
  ...IntentionInput.parse(body),
});

const INTENTIONS = [
  intention("billing", "users", {
    action: "allow",
    permissions: [
      { action: "deny", path_prefix: "/users/admin", methods: ["POST", "DELETE"] },
      { action: "allow", path_prefix: "/users/admin", methods: ["GET"] },
      { action: "deny", path_prefix: "/users/admin" },
    ],
  }),
  intention("*", "users", { action: "deny" }),
  intention("billing", "*", { action: "allow" }),
  intention("external", "shop", { action: "allow", permissions: [{ action: "deny", path_prefix: "/shop/admin" }] }),
  intention("*", "*", { action: "deny" }),
];

describe("intentions: precedence and permissions", () => {
  const index = indexIntentions(INTENTIONS, true);
  it.each<[string, string, string, string, boolean, string | null]>([
    // exact → exact beats every wildcard
    ["billing", "users", "GET", "/users/7", true, "billing → users"],
    // inside it the first matching permission wins
    ["billing", "users", "POST", "/users/admin/x", false, "billing → users"],
    ["billing", "users", "GET", "/users/admin/x", true, "billing → users"],
    ["billing", "users", "PUT", "/users/admin/x", false, "billing → users"],
    // * → exact beats exact → *
    ["orders", "users", "GET", "/users/7", false, "* → users"],
    ["external", "users", "GET", "/users/7", false, "* → users"],
    // exact → * beats * → *
    ["billing", "orders", "DELETE", "/orders/1", true, "billing → *"],
    // external is a source like any other
    ["external", "shop", "GET", "/shop/cart", true, "external → shop"],
    ["external", "shop", "GET", "/shop/admin", false, "external → shop"],
    // * → * catches the rest
    ["orders", "shop", "GET", "/shop", false, "* → *"],
  ])("%s → %s %s %s: allowed %s by %s", (source, destination, method, path, allowed, matched) => {
    expect(decide(index, source, destination, method, path)).toEqual({ allowed, matched });
  });

  it("falls back to MESH_DEFAULT_INTENTION when nothing matches", () => {
    const some = [intention("billing", "users", { action: "allow" })];
    expect(decide(indexIntentions(some, true), "orders", "shop", "GET", "/")).toEqual({ allowed: true, matched: null });
    expect(decide(indexIntentions(some, false), "orders", "shop", "GET", "/")).toEqual({
      allowed: false,
      matched: null,
    });
  });

  it("says when the check can be skipped: no intention and a default of allow", () => {
    expect(indexIntentions([], true).allowsAll).toBe(true);
    expect(indexIntentions([], false).allowsAll).toBe(false);
    expect(indexIntentions(INTENTIONS, true).allowsAll).toBe(false);
  });

  it("validates bodies: actions, methods, path prefixes", () => {
    expect(IntentionInput.safeParse({ action: "maybe" }).success).toBe(false);
    expect(
      IntentionInput.safeParse({ action: "allow", permissions: [{ action: "deny", methods: ["FETCH"] }] }).success,
    ).toBe(false);
    expect(
      IntentionInput.safeParse({ action: "allow", permissions: [{ action: "deny", path_prefix: "admin" }] }).success,
    ).toBe(false);
    expect(IntentionInput.parse({ action: "deny" })).toEqual({ action: "deny", permissions: [], description: "" });
  });
});
