import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/admin";

const doc = (prefix: string) => ({
  services: {
    [`${prefix}-users`]: {
      routes: [{ path_prefix: `/${prefix}-users` }],
      health_check: null,
      origins: { u1: { url: "https://u1.example.com/" }, u2: { url: "https://u2.example.com", weight: 3 } },
    },
  },
  intentions: [{ source: "*", destination: `${prefix}-users`, action: "allow" }],
});

const ops = (plan: { changes: { op: string; path: string }[] }) => plan.changes.map((c) => `${c.op} ${c.path}`);

describe("POST /apply", () => {
  it("plans without changing anything on a dry run, applies, then plans nothing for the same file", async () => {
    const dry = await api("POST", "/apply?dry_run=true", doc("a"));
    expect(dry.status).toBe(200);
    expect(dry.json.applied).toBe(false);
    expect(ops(dry.json)).toEqual([
      "create services/a-users",
      "create services/a-users/origins/u1",
      "create services/a-users/origins/u2",
      "create intentions/*/a-users",
    ]);
    expect((await api("GET", "/services/a-users")).status).toBe(404);

    const applied = await api("POST", "/apply", doc("a"));
    expect(applied.json).toMatchObject({ applied: true, revision: expect.any(Number) });
    const service = await api("GET", "/services/a-users");
    expect(service.json.origins.map((o: { url: string }) => o.url)).toEqual([
      "https://u1.example.com",
      "https://u2.example.com",
    ]);
    const again = await api("POST", "/apply", doc("a"));
    expect(again.json.changes).toEqual([]);
    expect(again.json.revision).toBeNull();
  });

  it("exports only what differs from the defaults, and applying the export plans nothing", async () => {
    await api("POST", "/apply", doc("b"));
    const exported = await api("GET", "/export");
    expect(exported.status).toBe(200);
    expect(Number(exported.headers.get("x-mesh-index"))).toBeGreaterThan(0);
    expect(exported.json.services["b-users"]).toEqual({
      routes: [{ path_prefix: "/b-users" }],
      health_check: null,
      origins: { u1: { url: "https://u1.example.com" }, u2: { url: "https://u2.example.com", weight: 3 } },
    });
    const replan = await api("POST", "/apply?dry_run=true&prune=true", exported.json);
    expect(replan.json.changes).toEqual([]);
  });

  it("refuses a misspelt field naming it, and changes nothing", async () => {
    const bad = doc("c") as Record<string, any>;
    bad.services["c-users"].origins.u1.wieght = 2;
    const res = await api("POST", "/apply", bad);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("ERR_VALIDATION");
    expect(JSON.stringify(res.json.error.details)).toContain("wieght");
    expect(res.json.error.details[0].path).toMatch(/^services\.c-users\.origins\.u1/);
    expect((await api("GET", "/services/c-users")).status).toBe(404);
  });

  it("applies all or nothing: a service past a limit rolls back the ones before it", async () => {
    const routes = Array.from({ length: 65 }, (_, i) => ({ path_prefix: `/d-${i}` }));
    const body = {
      services: {
        "d-first": { routes: [{ path_prefix: "/d-first" }], health_check: null },
        "d-second": { routes, health_check: null },
      },
    };
    const res = await api("POST", "/apply", body);
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("ERR_LIMIT_EXCEEDED");
    expect(res.json.error.details[0].path).toBe("services/d-second");
    expect((await api("GET", "/services/d-first")).status).toBe(404);
  });

  it("answers 409 ERR_CONFLICT when the registry moved past if_version", async () => {
    const version = (await api("GET", "/catalog")).json.version;
    await api("PUT", "/services/e-other", { routes: [{ path_prefix: "/e" }], health_check: null });
    const res = await api("POST", "/apply", { ...doc("e"), if_version: version });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("ERR_CONFLICT");
    expect((await api("GET", "/services/e-users")).status).toBe(404);
    const current = (await api("GET", "/catalog")).json.version;
    expect((await api("POST", "/apply", { ...doc("e"), if_version: current })).status).toBe(200);
  });

  it("deletes what the file does not name only with prune", async () => {
    await api("POST", "/apply", doc("f"));
    const exported = (await api("GET", "/export")).json;
    delete exported.services["f-users"].origins.u2;
    expect((await api("POST", "/apply?dry_run=true", exported)).json.changes).toEqual([]);
    const pruned = await api("POST", "/apply?prune=true", exported);
    expect(ops(pruned.json)).toEqual(["delete services/f-users/origins/u2"]);
    expect((await api("GET", "/services/f-users/origins")).json.origins).toHaveLength(1);
  });
});

describe("revisions and rollback", () => {
  it("records each applied plan with the token's subject, and a rollback undoes the later ones", async () => {
    const first = (await api("POST", "/apply", doc("g"))).json.revision as number;
    const changed = doc("g") as Record<string, any>;
    changed.services["g-users"].origins.u2.weight = 9;
    changed.services["g-users"].origins.u3 = { url: "https://u3.example.com" };
    const second = (await api("POST", "/apply", changed)).json.revision as number;
    expect(second).toBe(first + 1);

    const list = await api("GET", "/revisions?limit=2");
    expect(list.json.revisions[0]).toMatchObject({ revision: second, by: "test", at: expect.any(String) });
    expect(ops(list.json.revisions[0])).toEqual([
      "update services/g-users/origins/u2",
      "create services/g-users/origins/u3",
    ]);

    const plan = await api("POST", `/revisions/${first}/rollback?dry_run=true`);
    expect(ops(plan.json)).toEqual(["delete services/g-users/origins/u3", "update services/g-users/origins/u2"]);
    expect((await api("POST", `/revisions/${first}/rollback`)).json.applied).toBe(true);
    const origins = (await api("GET", "/services/g-users/origins")).json.origins;
    expect(origins.map((o: { id: string; weight: number }) => [o.id, o.weight])).toEqual([
      ["u1", 1],
      ["u2", 3],
    ]);
  });
});

describe("revisions of writes outside /apply", () => {
  it("records service, origin and intention writes through their own routes, and rolls them back", async () => {
    const svc = { routes: [{ path_prefix: "/w-rev" }], health_check: null };
    expect((await api("PUT", "/services/w-rev", svc)).status).toBe(201);
    const start = (await api("GET", "/revisions?limit=1")).json.revisions[0];
    expect(start).toMatchObject({ by: "test" });
    expect(ops(start)).toEqual(["create services/w-rev"]);

    const added = await api("POST", "/services/w-rev/origins", { url: "https://a.example.com" });
    await api("PATCH", "/services/w-rev", { timeout_ms: 4000 });
    await api("PUT", "/intentions/*/w-rev", { action: "deny" });
    await api("PUT", "/services/w-rev/origins/b", { url: "https://b.example.com" });
    await api("PUT", "/services/w-rev/origins/b/heartbeat"); // health only: no revision
    const latest = (await api("GET", "/revisions?limit=4")).json.revisions;
    expect(latest.map(ops)).toEqual([
      ["create services/w-rev/origins/b"],
      ["create intentions/*/w-rev"],
      ["update services/w-rev"],
      [`create services/w-rev/origins/${added.json.id}`],
    ]);
    expect(latest[2].changes[0].before.timeout_ms).toBe(15000);
    expect(latest[2].changes[0].after.timeout_ms).toBe(4000);

    // Deleting the service deletes its origins: one revision, origins first, so a rollback recreates the service first.
    expect((await api("DELETE", "/services/w-rev")).status).toBe(204);
    const deleted = (await api("GET", "/revisions?limit=1")).json.revisions[0];
    expect(ops(deleted)).toEqual([
      "delete services/w-rev/origins/b",
      `delete services/w-rev/origins/${added.json.id}`,
      "delete services/w-rev",
    ]);
    const back = await api("POST", `/revisions/${deleted.revision - 1}/rollback`);
    expect(back.json.applied).toBe(true);
    const restored = (await api("GET", "/services/w-rev")).json;
    expect(restored.timeout_ms).toBe(4000);
    expect(restored.origins.map((o: { id: string }) => o.id).sort()).toEqual([added.json.id, "b"].sort());
  });
});

describe("GET /schema/mesh-config.json", () => {
  it("serves the document's JSON Schema without a token", async () => {
    const res = await exports.default.fetch("https://mesh.test/_mesh/api/v1/schema/mesh-config.json");
    expect(res.status).toBe(200);
    const schema = (await res.json()) as any;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["services", "log_sinks", "intentions"]));
    const service = schema.properties.services.additionalProperties;
    expect(service.additionalProperties).toBe(false);
    expect(service.required).toEqual(["routes"]);
  });
});
