import { describe, expect, it } from "vitest";
import type { FeedDelta } from "../../src/model/feed";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import type { Snapshot, SnapshotOrigin } from "../../src/model/snapshot";
import { applyDelta, tableFrom } from "../../src/proxy/snapshot-delta";

const service = (name: string) => ({ name, ...ServiceInput.parse({ routes: [{}] }) });
const origin = (svc: string, id: string, weight = 1): SnapshotOrigin => ({
  ...OriginInput.parse({ url: `https://${id}.example.com`, weight }),
  service: svc,
  id,
  health: { status: "healthy", since: "2026-01-01T00:00:00.000Z" },
  healthy_since_ms: null,
  ejected_until_ms: null,
});
const base: Snapshot = {
  version: 4,
  services: [service("a"), service("b")],
  origins: [origin("a", "1"), origin("a", "2"), origin("b", "1")],
};
const delta = (d: Partial<FeedDelta>): FeedDelta => ({
  kind: "delta",
  from: 4,
  version: 5,
  services: [],
  removed_services: [],
  origins: [],
  removed_origins: [],
  ...d,
});

describe("applying a routing-feed delta", () => {
  it("replaces, adds and removes what the delta names and keeps everything else as the same objects", () => {
    const next = applyDelta(
      base,
      delta({ origins: [origin("a", "2", 5), origin("a", "0")], removed_origins: [["b", "1"]] }),
    )!;
    expect(next.version).toBe(5);
    expect(next.origins.map((o) => `${o.service}/${o.id}:${o.weight}`)).toEqual(["a/0:1", "a/1:1", "a/2:5"]);
    expect(next.origins[1]).toBe(base.origins[0]);
    expect(next.services[0]).toBe(base.services[0]);
  });

  it("removes a removed service's origins with it, and keeps services sorted by name", () => {
    const next = applyDelta(base, delta({ removed_services: ["a"], services: [service("0")] }))!;
    expect(next.services.map((s) => s.name)).toEqual(["0", "b"]);
    expect(next.origins.map((o) => `${o.service}/${o.id}`)).toEqual(["b/1"]);
  });

  it("refuses a delta that does not start from the table held, and takes a whole table as it is", () => {
    expect(applyDelta(base, delta({ from: 3 }))).toBeNull();
    expect(tableFrom(null, delta({}))).toBeNull();
    const whole = { kind: "full" as const, version: 9, services: [], origins: [] };
    expect(tableFrom(base, whole)).toEqual({ version: 9, services: [], origins: [] });
  });
});
