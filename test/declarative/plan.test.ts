import { describe, expect, it } from "vitest";
import { exportDocument } from "../../src/declarative/compact";
import { invert, plan } from "../../src/declarative/plan";
import { MeshConfig } from "../../src/model/mesh-config";

const doc = (input: unknown) => MeshConfig.parse(input);

const BASE = doc({
  services: {
    users: {
      routes: [{ path_prefix: "/users" }],
      health_check: { interval_s: 5 },
      origins: { u1: { url: "https://u1.example.com" }, u2: { url: "https://u2.example.com", weight: 3 } },
    },
    web: { routes: [{ host: "www.example.com" }], health_check: null },
  },
  intentions: [{ source: "web", destination: "users", action: "allow" }],
  log_sinks: { loki: { url: "https://logs.example.com/push", format: "loki" } },
});

describe("declarative planner", () => {
  it("plans nothing for a document against the state it describes", () => {
    expect(plan(BASE, BASE, true)).toEqual([]);
  });

  it("creates everything into an empty mesh, services before their origins", () => {
    const changes = plan(BASE, doc({}), false);
    expect(changes.map((c) => `${c.op} ${c.path}`)).toEqual([
      "create services/users",
      "create services/web",
      "create services/users/origins/u1",
      "create services/users/origins/u2",
      "create intentions/web/users",
      "create log_sinks/loki",
    ]);
    expect(changes[0]!.after).not.toHaveProperty("origins");
  });

  it("updates only what differs, with the whole resource before and after", () => {
    const next = structuredClone(BASE);
    next.services.users!.origins.u2!.weight = 5;
    const changes = plan(next, BASE, false);
    expect(changes).toEqual([
      {
        op: "update",
        path: "services/users/origins/u2",
        before: BASE.services.users!.origins.u2,
        after: next.services.users!.origins.u2,
      },
    ]);
  });

  it("deletes what the document does not name only with prune, a deleted service's origins first", () => {
    const partial = doc({ services: { web: { routes: [{ host: "www.example.com" }], health_check: null } } });
    expect(plan(partial, BASE, false)).toEqual([]);
    expect(plan(partial, BASE, true).map((c) => `${c.op} ${c.path}`)).toEqual([
      "delete services/users/origins/u1",
      "delete services/users/origins/u2",
      "delete services/users",
      "delete intentions/web/users",
      "delete log_sinks/loki",
    ]);
  });

  it("inverts a plan so that applying both gives the start back", () => {
    const changes = plan(BASE, doc({}), false);
    const back = invert(changes);
    expect(back[0]).toMatchObject({ op: "delete", path: "log_sinks/loki", after: null });
    expect(back.at(-1)).toMatchObject({ op: "delete", path: "services/users", before: changes[0]!.after });
  });
});

describe("export", () => {
  it("writes only what differs from the defaults", () => {
    const out = exportDocument(BASE) as { services: Record<string, unknown> };
    expect(out.services.users).toEqual({
      routes: [{ path_prefix: "/users" }],
      health_check: { interval_s: 5 },
      origins: { u1: { url: "https://u1.example.com" }, u2: { url: "https://u2.example.com", weight: 3 } },
    });
    expect(out.services.web).toEqual({ routes: [{ host: "www.example.com" }], health_check: null, origins: {} });
  });

  it("round-trips: the exported document parses to the same state, so applying it plans nothing", () => {
    const again = doc(exportDocument(BASE));
    expect(again).toEqual(BASE);
    expect(plan(again, BASE, true)).toEqual([]);
  });
});
