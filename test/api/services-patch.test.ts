import { describe, expect, it } from "vitest";
import { api } from "../helpers/admin";

// No active checks: these origins' names do not resolve, and must not be looked up.
const BASE = {
  routes: [{ path_prefix: "/files" }],
  strip_prefix: true,
  health_check: null,
  retries: { attempts: 3 },
};

describe("PATCH /services/{name} (JSON merge patch)", () => {
  it("changes only what it names: the policy switch keeps strip_prefix and health_check", async () => {
    expect((await api("PUT", "/services/patch-a", BASE)).status).toBe(201);
    const res = await api("PATCH", "/services/patch-a", { load_balancer: { policy: "ewma" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: "patch-a",
      strip_prefix: true,
      health_check: null,
      load_balancer: { policy: "ewma", hash_on: null },
      retries: { attempts: 3, per_try_timeout_ms: 5000 },
    });
    expect((await api("GET", "/services/patch-a")).json.load_balancer.policy).toBe("ewma");
  });

  it("resets a field to its default with null, merges nested objects, replaces arrays", async () => {
    await api("PUT", "/services/patch-b", BASE);
    const res = await api(
      "PATCH",
      "/services/patch-b",
      { retries: { attempts: null, retry_on: ["timeout"] }, strip_prefix: null, routes: [{ path_prefix: "/b" }] },
      { contentType: "application/merge-patch+json" },
    );
    expect(res.status).toBe(200);
    expect(res.json.retries).toEqual({
      attempts: 2,
      per_try_timeout_ms: 5000,
      retry_on: ["timeout"],
      budget_ratio: 0.2,
    });
    expect(res.json.strip_prefix).toBe(false);
    expect(res.json.routes).toEqual([{ path_prefix: "/b" }]);
  });

  it("validates the result like a PUT, and changes nothing when it is invalid", async () => {
    await api("PUT", "/services/patch-c", BASE);
    const bad = await api("PATCH", "/services/patch-c", { retries: { attempts: 99 }, wieght: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("ERR_VALIDATION");
    const paths = bad.json.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["retries.attempts", "wieght"]));
    expect((await api("GET", "/services/patch-c")).json.retries.attempts).toBe(3);
    expect((await api("PATCH", "/services/nope", { strip_prefix: true })).status).toBe(404);
    expect((await api("PATCH", "/services/patch-c", [1, 2])).status).toBe(400);
  });
});

describe("PUT accepts what GET returns", () => {
  it("round-trips: GET, edit, PUT back", async () => {
    await api("PUT", "/services/trip", BASE);
    await api("PUT", "/services/trip/origins/o1", { url: "https://o1.example.com" });
    const read = (await api("GET", "/services/trip")).json;
    expect(read.origins).toHaveLength(1);
    const put = await api("PUT", "/services/trip", { ...read, timeout_ms: 7000 });
    expect(put.status).toBe(200);
    expect(put.json.timeout_ms).toBe(7000);
    expect((await api("GET", "/services/trip")).json.origins).toHaveLength(1);
    const renamed = await api("PUT", "/services/trip", { ...read, name: "other" });
    expect(renamed.status).toBe(400);
    expect(renamed.json.error.details[0].path).toBe("name");
  });

  it("still replaces the whole resource: a field left out takes its default", async () => {
    await api("PUT", "/services/whole", BASE);
    const res = await api("PUT", "/services/whole", { routes: BASE.routes, health_check: null });
    expect(res.json.strip_prefix).toBe(false);
    expect(res.json.retries.attempts).toBe(2);
  });

  it("suggests the nearest field for a misspelt one", async () => {
    const res = await api("PUT", "/services/typo", { ...BASE, stirp_prefix: true });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe("stirp_prefix: unknown field 'stirp_prefix' (did you mean 'strip_prefix'?)");
    const nested = await api("PUT", "/services/typo", { ...BASE, retries: { atempts: 1 } });
    expect(nested.json.error.details[0].message).toContain("did you mean 'attempts'?");
    const origin = await api("POST", "/services/patch-a/origins", { url: "https://x.example.com", wieght: 2 });
    expect(origin.json.error.details[0].message).toBe("unknown field 'wieght' (did you mean 'weight'?)");
    const far = await api("PUT", "/services/typo", { ...BASE, colour: "red" });
    expect(far.json.error.details[0].message).toBe("unknown field");
  });
});
