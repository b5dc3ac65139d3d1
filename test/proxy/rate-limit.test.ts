import { describe, expect, it } from "vitest";
import { rateLimited } from "../../src/proxy/rate-limit";
import { env } from "../helpers/admin";

describe("rate limits through the RATE_LIMITER binding (Miniflare's simulation of wrangler.toml's)", () => {
  it("spreads a limit over the binding's keys, and the binding is what says no", async () => {
    const limit = { key: "ip" as const, limit: 20, period_s: 60 as const };
    // The binding counts in 60 s windows: a run that straddles a window's end goes again from another address.
    let verdicts: Awaited<ReturnType<typeof rateLimited>>[] = [];
    let ip = "";
    for (const candidate of ["198.51.100.7", "198.51.100.9", "198.51.100.11"]) {
      const window = Math.floor(Date.now() / 60_000);
      const run = [];
      for (let i = 0; i < 22; i++)
        run.push(await rateLimited("svc-rl", limit, env, "external", candidate, new Headers(), Date.now()));
      if (Math.floor(Date.now() / 60_000) === window) {
        verdicts = run;
        ip = candidate;
        break;
      }
    }
    expect(ip, "three runs in a row straddled a 60 s window").not.toBe("");
    expect(verdicts.slice(0, 20).every((v) => v === null)).toBe(true);
    expect(verdicts[20]?.retryAfterS).toBe(60);
    expect(verdicts[20]?.error.code).toBe("ERR_RATE_LIMITED");
    // Both slots of 10 are spent in the binding itself.
    for (const slot of [0, 1]) {
      expect((await env.RATE_LIMITER.limit({ key: `svc-rl|ip:${ip}|${slot}` })).success).toBe(false);
    }
    expect((await env.RATE_LIMITER.limit({ key: "svc-rl|ip:198.51.100.8|0" })).success).toBe(true);
  });

  it("counts in the isolate when the binding is absent", async () => {
    const limit = { key: "caller" as const, limit: 2, period_s: 10 as const };
    const bare = { ...env, RATE_LIMITER: undefined } as unknown as typeof env;
    const now = 1_000_000;
    const hit = () => rateLimited("svc-local", limit, bare, "billing", null, new Headers(), now);
    expect(await hit()).toBeNull();
    expect(await hit()).toBeNull();
    expect((await hit())?.retryAfterS).toBe(10);
  });
});
