import { describe, expect, it } from "vitest";
import { api } from "../helpers/admin";

describe("GET /logs", () => {
  it("answers the recent logs as a list and validates limit", async () => {
    const res = await api("GET", "/logs?limit=5", undefined, { scope: "mesh:read" });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json.logs)).toBe(true);
    expect((await api("GET", "/logs?limit=0")).status).toBe(400);
    expect((await api("GET", "/logs?limit=1001")).status).toBe(400);
  });
});
