import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import worker from "../../src/index";
import { checker } from "../../src/clients/checker";
import { registry } from "../../src/clients/registry";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import { env } from "../helpers/admin";

// The minutely cron is the health loop's watchdog (SPEC §1: cron drives active checks).

const getAlarm = () => runInDurableObject(registry(env), (_i, state) => state.storage.getAlarm());

/** Polls `fn` until it is true; bounded. */
async function waitFor(fn: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("scheduled()", () => {
  it("re-arms a lost health-check alarm", async () => {
    await registry(env).putService(
      "sched-watchdog",
      ServiceInput.parse({ routes: [{ path_prefix: "/" }], health_check: { interval_s: 60 } }),
    );
    await registry(env).putOrigin(
      "sched-watchdog",
      "o",
      OriginInput.parse({ url: `http://127.0.0.1:${inject("originPort")}` }),
    );
    // A new origin is checked at once, and the alarm re-arms for its next check a minute later.
    await waitFor(async () => ((await getAlarm()) ?? 0) > Date.now() + 30_000);
    await runInDurableObject(registry(env), (_i, state) => state.storage.deleteAlarm());
    expect(await getAlarm()).toBeNull();

    await cron();
    // Armed again for the origin's next check, about a minute away.
    const alarm = await getAlarm();
    expect(alarm).not.toBeNull();
    expect(alarm! - Date.now()).toBeGreaterThan(30_000);
    expect(alarm! - Date.now()).toBeLessThanOrEqual(66_000);
  });

  it("re-arms every checker of every service with regions", async () => {
    const regions = ["weur", "apac"];
    await registry(env).putService(
      "sched-regions",
      ServiceInput.parse({ routes: [{ path_prefix: "/r" }], health_check: { interval_s: 60, regions } }),
    );
    await registry(env).putOrigin(
      "sched-regions",
      "o",
      OriginInput.parse({ url: `http://127.0.0.1:${inject("originPort")}` }),
    );
    const checkerAlarm = (region: string) =>
      runInDurableObject(checker(env, region), (_i, state) => state.storage.getAlarm());
    // Each checker checks the new origin at once and re-arms for its next check a minute later.
    for (const r of regions) await waitFor(async () => ((await checkerAlarm(r)) ?? 0) > Date.now() + 30_000);
    for (const r of regions) await runInDurableObject(checker(env, r), (_i, state) => state.storage.deleteAlarm());

    await cron();
    for (const r of regions) {
      const alarm = await checkerAlarm(r);
      expect(alarm, r).not.toBeNull();
      expect(alarm! - Date.now()).toBeGreaterThan(30_000);
      expect(alarm! - Date.now()).toBeLessThanOrEqual(66_000);
    }
    await registry(env).deleteService("sched-regions");
    // Nothing left to check from these regions: their checkers stop.
    for (const r of regions) expect(await checkerAlarm(r)).toBeNull();
  });

  it("leaves no alarm when nothing needs one", async () => {
    await registry(env).deleteService("sched-watchdog");
    expect(await registry(env).listServices()).toEqual([]);
    await runInDurableObject(registry(env), (_i, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    await cron();
    expect(await getAlarm()).toBeNull();
  });
});
