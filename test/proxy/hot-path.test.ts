import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registryCalls } from "../../src/observability/registry-calls";
import { api } from "../helpers/admin";

// Narrow unit test of the hot-path rule: origins are stubbed at `fetch`, so
// the only Durable Object traffic left is what the data plane makes itself.
describe("hot path", () => {
  afterEach(() => vi.restoreAllMocks());

  it("serves 1,000 proxied requests from the isolate cache with one registry call", async () => {
    await api("PUT", "/services/hot", { routes: [{ host: "hot.example.com" }], health_check: null });
    await api("PUT", "/services/hot/origins/h1", { url: "https://h1.example.com" });
    await api("PUT", "/services/hot/origins/h2", { url: "https://h2.example.com" });
    const upstream = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
    // The writes brought the table up to date before they answered; the first request starts the background read.
    const before = registryCalls.count;
    expect((await exports.default.fetch("https://hot.example.com/warm")).status).toBe(200);
    for (let i = 0; i < 1000; i++) {
      const res = await exports.default.fetch(`https://hot.example.com/r/${i}`);
      expect(res.status).toBe(200);
      await res.text();
    }
    const calls = registryCalls.count - before;
    expect(upstream).toHaveBeenCalledTimes(1001);
    // One background blocking read covers all 1,001 requests (it only answers when the table changes),
    // however long they take; the old rule was one refresh per second.
    expect(calls).toBe(1);
  });

  it("sees a write made through this isolate's admin API at once", async () => {
    await api("PUT", "/services/fresh", { routes: [{ host: "fresh.example.com" }], health_check: null });
    await api("PUT", "/services/fresh/origins/f1", { url: "https://f1.example.com" });
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => new Response(String(input)));
    expect(await (await exports.default.fetch("https://fresh.example.com/a")).text()).toBe("https://f1.example.com/a");
    await api("PUT", "/services/fresh/origins/f1", { url: "https://f2.example.com" });
    expect(await (await exports.default.fetch("https://fresh.example.com/a")).text()).toBe("https://f2.example.com/a");
  });
});
