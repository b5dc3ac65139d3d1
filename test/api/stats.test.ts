import { describe, expect, it } from "vitest";
import { api } from "../helpers/admin";

describe("GET /stats", () => {
  it("answers per-service traffic and log-buffer totals", async () => {
    const res = await api("GET", "/stats", undefined, { scope: "mesh:read" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      services: expect.any(Array),
      unrouted: { requests: expect.any(Number) },
      logs: { entries: expect.any(Number), sinks: expect.any(Array) },
    });
  });
});
