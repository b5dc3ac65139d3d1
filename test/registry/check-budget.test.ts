import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { runActiveChecks } from "../../durable-objects/health-loop";
import type { Registry } from "../../durable-objects/registry";
import { healthOf } from "../../durable-objects/rows";
import { RegistryStore } from "../../durable-objects/store";
import { DEFAULT_SUBREQUEST_BUDGET, subrequestBudget } from "../../src/config";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";

// Plan limits (SPEC §2 MESH_SUBREQUEST_BUDGET): no alarm run makes more
// outbound fetches than the budget; origins beyond it wait for the next run
// (scheduled per origin, most overdue first) and keep their status meanwhile.

type Stub = DurableObjectStub<Registry>;
const registry = (name: string): Stub => env.REGISTRY.get(env.REGISTRY.idFromName(`budget-${name}`));
const checked = ServiceInput.parse({
  routes: [{ path_prefix: "/" }],
  health_check: { interval_s: 60, healthy_threshold: 1, unhealthy_threshold: 1 },
});
const unchecked = ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: null });

/** Registers `n` origins without arming the alarm, then switches checks on directly, so only the test's runs check. */
async function fleet(stub: Stub, n: number, url: (i: number) => string): Promise<void> {
  await stub.putService("svc", unchecked);
  for (let i = 0; i < n; i++) await stub.putOrigin("svc", `o${i}`, OriginInput.parse({ url: url(i) }));
  await runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec(`UPDATE services SET config = ?, next_check_at = 0`, JSON.stringify(checked));
  });
}

describe("MESH_SUBREQUEST_BUDGET", () => {
  it("defaults to 45 and takes a positive integer", () => {
    expect(subrequestBudget({})).toBe(DEFAULT_SUBREQUEST_BUDGET);
    expect(DEFAULT_SUBREQUEST_BUDGET).toBe(45);
    expect(subrequestBudget({ MESH_SUBREQUEST_BUDGET: " 900 " })).toBe(900);
    for (const bad of ["", "0", "-5", "1.5", "lots", "1e3"])
      expect(subrequestBudget({ MESH_SUBREQUEST_BUDGET: bad }), bad).toBe(DEFAULT_SUBREQUEST_BUDGET);
  });
});

describe("Registry alarm: the subrequest budget", () => {
  it("checks a 500-origin service fully in ⌈500 / 45⌉ runs, never more than 45 fetches a run, each origin once", async () => {
    const reg = registry("fleet");
    await fleet(reg, 500, (i) => `https://o${i}.example.com`);
    const { perRun, hits, statuses } = await runInDurableObject(reg, async (_i, state) => {
      const store = new RegistryStore(state.storage);
      const hits = new Map<string, number>();
      let calls = 0;
      const fetcher = async (url: string) => {
        calls++;
        const host = new URL(url).hostname;
        hits.set(host, (hits.get(host) ?? 0) + 1);
        return new Response("ok");
      };
      const perRun: number[] = [];
      const statuses: string[][] = [];
      const now = Date.now();
      for (let run = 0; run < Math.ceil(500 / 45) + 1; run++) {
        calls = 0;
        const ran = await runActiveChecks(store, fetcher, () => now, Math.random, 45);
        expect(ran).toBe(calls);
        perRun.push(calls);
        statuses.push(store.originRows("svc").map((o) => o.status));
      }
      return { perRun, hits, statuses };
    });
    expect(perRun).toEqual([...new Array(11).fill(45), 5, 0]);
    expect(Math.max(...perRun)).toBeLessThanOrEqual(45);
    expect(hits.size).toBe(500);
    expect([...hits.values()].every((n) => n === 1)).toBe(true);
    // Origins the budget left for later kept their status: none was marked down for lack of budget.
    for (const [run, after] of statuses.entries()) {
      const checkedSoFar = Math.min(500, 45 * (run + 1));
      expect(after.filter((s) => s === "healthy")).toHaveLength(checkedSoFar);
      expect(after.filter((s) => s === "unknown")).toHaveLength(500 - checkedSoFar);
    }
  });

  it("runs from the real alarm in workerd: 45 checks, re-armed at once for the rest, all 60 checked by the next run", async () => {
    const reg = registry("alarm");
    const base = `http://127.0.0.1:${inject("originPort")}`;
    await fleet(reg, 60, (i) => `${base}/o${i}`);
    const lastChecks = () =>
      runInDurableObject(reg, (_i, state) =>
        new RegistryStore(state.storage).originRows("svc").map((o) => healthOf(o).last_check_at),
      );
    // Nothing armed the alarm (checks were switched on in SQL): arm it far away, then fire it now.
    await runInDurableObject(reg, (_i, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    expect(await runDurableObjectAlarm(reg)).toBe(true);
    const first = await lastChecks();
    expect(first.filter((t) => t !== null)).toHaveLength(DEFAULT_SUBREQUEST_BUDGET);
    const alarm = await runInDurableObject(reg, (_i, state) => state.storage.getAlarm());
    // Re-armed for the 15 still due: now, not a minute later (or already running, and so not set).
    expect(alarm === null || alarm <= Date.now() + 1_000).toBe(true);
    await expect.poll(async () => (await lastChecks()).filter((t) => t !== null).length, { timeout: 10_000 }).toBe(60);
    const statuses = (await reg.listOrigins("svc")) as { ok: true; value: { health: { status: string } }[] };
    expect(statuses.value.map((o) => o.health.status)).toEqual(new Array(60).fill("healthy"));
  });
});
