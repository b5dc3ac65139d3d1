import { describe, expect, it } from "vitest";
import { RetryBudget } from "../../src/proxy/retry-budget";
import { retryPauseMs, retryable } from "../../src/proxy/attempt";

describe("retry budget", () => {
  it("allows the floor of 10 retries per second (100 per 10 s) even with little traffic", () => {
    const budget = new RetryBudget();
    const now = 1_000_000;
    budget.deposit("s", now);
    let allowed = 0;
    for (let i = 0; i < 500; i++) if (budget.tryWithdraw("s", 0.2, now)) allowed++;
    expect(allowed).toBe(100);
  });

  it("caps retries at budget_ratio of recent requests under heavy traffic", () => {
    const budget = new RetryBudget();
    const now = 5_000_000;
    for (let i = 0; i < 10_000; i++) budget.deposit("s", now);
    let allowed = 0;
    for (let i = 0; i < 10_000; i++) if (budget.tryWithdraw("s", 0.2, now)) allowed++;
    expect(allowed).toBe(2000);
  });

  it("recovers once the window has passed, and keeps services apart", () => {
    const budget = new RetryBudget(1);
    const t0 = 9_000_000;
    for (let i = 0; i < 10; i++) budget.tryWithdraw("a", 0, t0);
    expect(budget.tryWithdraw("a", 0, t0)).toBe(false);
    expect(budget.tryWithdraw("b", 0, t0)).toBe(true);
    expect(budget.tryWithdraw("a", 0, t0 + 10_000)).toBe(true);
  });
});

describe("retry classification", () => {
  const res = (status: number) => ({ kind: "response" as const, response: new Response(null, { status }), ms: 1 });
  it("retries only what retry_on names", () => {
    expect(retryable({ kind: "connect-failure", error: "refused", ms: 1 }, ["connect-failure"])).toBe(true);
    expect(retryable({ kind: "timeout", ms: 1 }, ["connect-failure"])).toBe(false);
    expect(retryable(res(500), ["5xx"])).toBe(true);
    expect(retryable(res(500), ["gateway-error"])).toBe(false);
    expect(retryable(res(503), ["gateway-error"])).toBe(true);
    expect(retryable(res(404), ["5xx", "gateway-error"])).toBe(false);
  });

  it("never retries an error a mesh answered itself (a loop, or another hop's verdict)", () => {
    const meshError = (code: string, status: number) => ({
      kind: "response" as const,
      response: new Response(null, { status, headers: { "x-mesh-error": code } }),
      ms: 1,
    });
    expect(retryable(meshError("ERR_LOOP", 508), ["5xx", "gateway-error"])).toBe(false);
    expect(retryable(meshError("ERR_NO_HEALTHY_ORIGIN", 503), ["5xx", "gateway-error"])).toBe(false);
  });

  it("backs off with full jitter, capped", () => {
    expect(retryPauseMs(1, () => 0.999)).toBeLessThanOrEqual(25);
    expect(retryPauseMs(10, () => 0.999)).toBeLessThanOrEqual(250);
    expect(retryPauseMs(3, () => 0)).toBe(0);
  });
});
