import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FeedReader, RoutingFeed } from "../../durable-objects/routing-feed";
import { FeedMessage } from "../../src/model/feed";
import { OriginInput } from "../../src/model/origin";
import { ServiceInput } from "../../src/model/service";
import type { Snapshot, SnapshotOrigin } from "../../src/model/snapshot";
import { tableFrom } from "../../src/proxy/snapshot-delta";

/** An in-memory registry: rows as the data plane sees them, a version, and the touches the store would report. */
function model() {
  const services = new Map<string, string>();
  const origins = new Map<string, SnapshotOrigin>();
  let version = 0;
  const key = (s: string, id: string) => `${s}/${id}`;
  const reader: FeedReader = {
    version: () => version,
    services: () => [...services].sort(([a], [b]) => (a < b ? -1 : 1)),
    origins: (service) =>
      [...origins.values()]
        .filter((o) => service === undefined || o.service === service)
        .sort((a, b) => (a.service === b.service ? (a.id < b.id ? -1 : 1) : a.service < b.service ? -1 : 1))
        .map((o) => [o.service, o.id, JSON.stringify(o)]),
    service: (name) => services.get(name) ?? null,
    origin: (s, id) => {
      const o = origins.get(key(s, id));
      return o ? JSON.stringify(o) : null;
    },
  };
  let now = 0;
  const feed = new RoutingFeed(reader, () => now, { entries: 8, items: 1_000, rereadMs: 60_000 });
  return {
    feed,
    advanceClock: (ms: number) => (now += ms),
    bump: () => ++version,
    putService(name: string, timeout = 15_000) {
      services.set(name, JSON.stringify({ name, ...ServiceInput.parse({ routes: [{}], timeout_ms: timeout }) }));
      feed.touch(name, null);
    },
    deleteService(name: string) {
      services.delete(name);
      for (const [k, o] of origins) if (o.service === name) origins.delete(k);
      feed.touch(name, null);
    },
    putOrigin(service: string, id: string, status: "healthy" | "unhealthy" = "healthy", weight = 1) {
      origins.set(key(service, id), origin(service, id, status, weight));
      feed.touch(service, id);
    },
    deleteOrigin(service: string, id: string) {
      origins.delete(key(service, id));
      feed.touch(service, id);
    },
    /** A write that changes nothing a router sees (a check's time, a lease renewed). */
    touchOnly: (service: string, id: string) => feed.touch(service, id),
    /** A write the store did not report: only the periodic re-read finds it. */
    sneak: (service: string, id: string, weight: number) =>
      origins.set(key(service, id), origin(service, id, "healthy", weight)),
    hasService: (name: string) => services.has(name),
    /** The table as it is, straight from the rows (not through the feed). */
    truth: (): Snapshot => ({
      version,
      services: reader.services().map(([, json]) => JSON.parse(json)),
      origins: reader.origins().map(([, , json]) => JSON.parse(json)),
    }),
  };
}

function origin(service: string, id: string, status: "healthy" | "unhealthy", weight: number): SnapshotOrigin {
  return {
    ...OriginInput.parse({ url: `https://${id}.${service}.example.com`, weight }),
    service,
    id,
    health: { status, since: "2026-01-01T00:00:00.000Z" },
    healthy_since_ms: null,
    ejected_until_ms: null,
  };
}

const parse = (text: string | null) => FeedMessage.parse(JSON.parse(text!));
/** The table an isolate holding `base` builds from the feed's answer. */
const next = (base: Snapshot | null, text: string | null) => tableFrom(base, parse(text));
const full = (feed: RoutingFeed) => next(null, feed.answer(-1))!;

describe("routing feed", () => {
  it("answers the whole table first, nothing when current, and only the flipped origin after a flip", () => {
    const m = model();
    m.putService("users");
    for (let i = 0; i < 50; i++) m.putOrigin("users", `o${i}`);
    m.bump();
    const first = m.feed.answer(-1);
    expect(parse(first)).toMatchObject({ kind: "full", version: 1 });
    expect(m.feed.answer(1)).toBeNull();
    m.putOrigin("users", "o7", "unhealthy");
    m.bump();
    const delta = parse(m.feed.answer(1));
    expect(delta).toMatchObject({ kind: "delta", from: 1, version: 2, services: [], removed_origins: [] });
    expect(delta.kind === "delta" && delta.origins.map((o) => o.id)).toEqual(["o7"]);
    expect(m.feed.answer(1)!.length).toBeLessThan(first!.length / 20);
    expect(next(next(null, first), m.feed.answer(1))).toEqual(full(m.feed));
  });

  it("hands every isolate holding the same version the very same text", () => {
    const m = model();
    m.putService("users");
    m.putOrigin("users", "a");
    m.bump();
    m.feed.answer(-1);
    m.putOrigin("users", "a", "unhealthy");
    m.bump();
    const answers = Array.from({ length: 100 }, () => m.feed.answer(1));
    expect(answers.every((a) => a === answers[0])).toBe(true);
    const fulls = Array.from({ length: 100 }, () => m.feed.answer(-1));
    expect(fulls.every((a) => a === fulls[0])).toBe(true);
  });

  it("sends an empty delta for a version whose writes change nothing a router sees", () => {
    const m = model();
    m.putService("users");
    m.putOrigin("users", "a");
    m.bump();
    m.feed.answer(-1);
    m.touchOnly("users", "a");
    m.bump();
    expect(parse(m.feed.answer(1))).toEqual({
      kind: "delta",
      from: 1,
      version: 2,
      services: [],
      removed_services: [],
      origins: [],
      removed_origins: [],
    });
  });

  it("sends the whole table when the delta would be larger, or reaches back past its history", () => {
    const m = model();
    m.putService("s");
    m.putOrigin("s", "a");
    m.bump();
    m.feed.answer(-1);
    m.deleteService("s");
    m.putService("t");
    for (let i = 0; i < 3; i++) m.putOrigin("t", `n${i}`);
    m.bump();
    // Removing one origin and adding three is more text than the new table itself.
    expect(parse(m.feed.answer(1)).kind).toBe("full");
    for (let v = 0; v < 12; v++) {
      m.putOrigin("t", "n0", v % 2 === 0 ? "unhealthy" : "healthy");
      m.bump();
      m.feed.answer(m.feed.history().at(-1) ?? -1);
    }
    expect(m.feed.history()).toHaveLength(8);
    expect(parse(m.feed.answer(2)).kind).toBe("full");
    expect(parse(m.feed.answer(m.feed.history()[0]!)).kind).toBe("delta");
  });

  it("removes a deleted service's origins, and finds re-created ones", () => {
    const m = model();
    for (const s of ["a", "b"]) {
      m.putService(s);
      for (let i = 0; i < 20; i++) m.putOrigin(s, `o${i}`);
    }
    m.bump();
    const base = full(m.feed);
    m.deleteService("a");
    m.putService("a");
    m.putOrigin("a", "o3");
    m.bump();
    const after = next(base, m.feed.answer(1))!;
    expect(after.origins.filter((o) => o.service === "a").map((o) => o.id)).toEqual(["o3"]);
    expect(after).toEqual(full(m.feed));
  });

  it("re-reads the whole table now and then, so a write it was not told of is not missed for long", () => {
    const m = model();
    m.putService("s");
    m.putOrigin("s", "a");
    m.putOrigin("s", "b");
    m.bump();
    const base = full(m.feed);
    // Told of b's change, not of a's.
    m.sneak("s", "a", 7);
    m.putOrigin("s", "b", "unhealthy");
    m.bump();
    const v2 = next(base, m.feed.answer(1))!;
    expect(v2.origins.map((o) => [o.id, o.weight, o.health.status])).toEqual([
      ["a", 1, "healthy"],
      ["b", 1, "unhealthy"],
    ]);
    m.advanceClock(60_000);
    m.putOrigin("s", "b");
    m.bump();
    const table = next(v2, m.feed.answer(2));
    expect(table?.origins[0]?.weight).toBe(7);
    expect(table).toEqual(full(m.feed));
  });

  it("re-reads the whole table when the version moved with no write it was told of", () => {
    const m = model();
    m.putService("s");
    m.putOrigin("s", "a");
    m.bump();
    const base = full(m.feed);
    m.sneak("s", "a", 7);
    m.bump();
    expect(next(base, m.feed.answer(1))?.origins[0]?.weight).toBe(7);
  });

  it("property: the table at any version equals an older table plus the feed's answer for it", () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant("svc" as const),
        s: fc.integer({ min: 0, max: 3 }),
        timeout: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ t: fc.constant("del-svc" as const), s: fc.integer({ min: 0, max: 3 }) }),
      fc.record({
        t: fc.constant("origin" as const),
        s: fc.integer({ min: 0, max: 3 }),
        o: fc.integer({ min: 0, max: 6 }),
        bad: fc.boolean(),
        w: fc.integer({ min: 0, max: 2 }),
      }),
      fc.record({
        t: fc.constant("del-origin" as const),
        s: fc.integer({ min: 0, max: 3 }),
        o: fc.integer({ min: 0, max: 6 }),
      }),
      fc.record({
        t: fc.constant("touch" as const),
        s: fc.integer({ min: 0, max: 3 }),
        o: fc.integer({ min: 0, max: 6 }),
      }),
      fc.record({ t: fc.constant("bump" as const), ask: fc.boolean(), clock: fc.integer({ min: 0, max: 30_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const m = model();
        const held = new Map<number, Snapshot>();
        for (const o of ops) {
          const s = `s${o.t === "bump" ? 0 : o.s}`;
          if (o.t === "svc") m.putService(s, o.timeout * 1000);
          else if (o.t === "del-svc") m.deleteService(s);
          else if (o.t === "origin" && m.hasService(s)) m.putOrigin(s, `o${o.o}`, o.bad ? "unhealthy" : "healthy", o.w);
          else if (o.t === "del-origin") m.deleteOrigin(s, `o${o.o}`);
          else if (o.t === "touch") m.touchOnly(s, `o${o.o}`);
          else if (o.t === "bump") {
            m.advanceClock(o.clock);
            const version = m.bump();
            if (!o.ask) continue;
            const truth = m.truth();
            expect(full(m.feed)).toEqual(truth);
            for (const [v, table] of held) expect(next(table, m.feed.answer(v))).toEqual(truth);
            held.set(version, truth);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
