import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { api } from "../helpers/admin";

describe("OpenAPI document: one shape per wire type", () => {
  it("gives error responses a code that is an enum of the mesh's error codes", async () => {
    const doc = (await api("GET", "/openapi.json", undefined, { token: null })).json;
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual([...ERROR_CODES]);
    // Every error response, the SSRF guard's 422 included, points at that one schema.
    const refs = new Set<string>();
    for (const ops of Object.values<Record<string, any>>(doc.paths)) {
      for (const op of Object.values<any>(ops)) {
        for (const [status, res] of Object.entries<any>(op.responses)) {
          if (Number(status) >= 400) refs.add(res.content["application/json"].schema.$ref);
        }
      }
    }
    expect([...refs]).toEqual(["#/components/schemas/Error"]);
  });

  it("names the shared shapes once, as components", async () => {
    const doc = (await api("GET", "/openapi.json", undefined, { token: null })).json;
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        "Catalog",
        "ServiceHealth",
        "HealthEvent",
        "LogEntry",
        "LogSink",
        "LogSinkFlush",
        "MeshStats",
        "Service",
        "ServiceWithOrigins",
      ]),
    );
  });
});

describe("OpenAPI document: regions (SPEC §7)", () => {
  it("documents each origin's per-region view once, and the regions a check runs from", async () => {
    const doc = (await api("GET", "/openapi.json", undefined, { token: null })).json;
    const schemas = doc.components.schemas;
    expect(schemas.RegionHealth.properties.status.enum).toEqual(["unknown", "healthy", "unhealthy"]);
    expect(Object.keys(schemas.RegionHealth.properties)).toEqual(["status", "last_check", "latency_ms", "last_error"]);
    expect(JSON.stringify(schemas.OriginHealthWithRegions)).toContain('"$ref":"#/components/schemas/RegionHealthMap"');
    expect(schemas.RegionHealthMap.description).toMatch(/more than half/);
    expect(schemas.HealthCheck.properties.regions.description).toMatch(/one checker Durable Object per region/);
  });
});

describe("OpenAPI document", () => {
  it("serves an OpenAPI 3.1 document of the routes", async () => {
    const res = await api("GET", "/openapi.json", undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    expect(Object.keys(res.json.paths)).toEqual(
      expect.arrayContaining([
        "/services",
        "/services/{name}",
        "/services/{name}/origins/{id}/heartbeat",
        "/catalog",
        "/events",
      ]),
    );
    expect(res.json.components.schemas.ServicePut.properties.retries).toBeDefined();
    expect(res.json.components.schemas.ServicePatch).toBeDefined();
  });

  it("describes the log, sink and stats routes", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    for (const path of ["/log-sinks", "/log-sinks/{name}", "/log-sinks/{name}/flush", "/logs", "/stats"])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(Object.keys(doc.paths["/log-sinks/{name}"])).toEqual(expect.arrayContaining(["put", "delete"]));
  });
});

describe("OpenAPI document: what tools need", () => {
  it("has servers, a license, and a unique operationId on every operation", async () => {
    const doc = (await api("GET", "/openapi.json", undefined, { token: null })).json;
    expect(doc.servers).toEqual([{ url: "/_mesh/api/v1", description: "this mesh" }]);
    expect(doc.info.license).toEqual({ name: "Apache-2.0", identifier: "Apache-2.0" });
    const ids = Object.values<Record<string, any>>(doc.paths).flatMap((item) =>
      Object.values<any>(item).map((op) => op.operationId),
    );
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["applyConfig", "exportConfig", "getServicesByNameOrigins"]));
  });
});
