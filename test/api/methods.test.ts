import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SERVICE, api, token } from "../helpers/admin";

describe("a known path with a wrong method", () => {
  it("answers 405 ERR_METHOD_NOT_ALLOWED with an Allow header, not 404", async () => {
    const res = await api("POST", "/services");
    expect(res.status).toBe(405);
    expect(res.json.error.code).toBe("ERR_METHOD_NOT_ALLOWED");
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    const one = await api("POST", "/services/users", SERVICE);
    expect(one.status).toBe(405);
    expect(one.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH, PUT");
    expect(one.json.error.message).toBe(
      "POST is not allowed on /_mesh/api/v1/services/users; it answers DELETE, GET, HEAD, PATCH, PUT",
    );
  });

  it("still answers 404 for a path no route has, and 401 before 405 without a token", async () => {
    expect((await api("GET", "/nothing-here")).status).toBe(404);
    const anonymous = await exports.default.fetch("https://mesh.test/_mesh/api/v1/services", { method: "DELETE" });
    expect(anonymous.status).toBe(401);
    const metrics = await exports.default.fetch("https://mesh.test/_mesh/metrics", {
      method: "POST",
      headers: { authorization: `Bearer ${await token("mesh:read")}` },
    });
    expect(metrics.status).toBe(405);
    expect(metrics.headers.get("allow")).toBe("GET, HEAD");
  });
});
