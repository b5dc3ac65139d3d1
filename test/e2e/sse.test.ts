import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithTimeout } from "./harness/http";
import { startMesh, type Mesh } from "./harness/mesh";
import { readSseEvents } from "./harness/probes";
import { registerService } from "./harness/services";
import { type SseOrigin, startSseOrigin } from "./harness/stream-origins";

// Server-sent events through the mesh: delivered as the origin produces
// them, not when the stream ends (the mesh must not buffer responses).

let mesh: Mesh;
let sse: SseOrigin;
beforeAll(async () => {
  [mesh, sse] = await Promise.all([startMesh(), startSseOrigin()]);
  await registerService(mesh, "sse", [mesh.expose({ name: "sse", port: sse.port })], { timeout_ms: 30_000 });
});
afterAll(async () => {
  await Promise.all([mesh?.stop(), sse?.stop()]);
});

describe("server-sent events through the mesh", () => {
  it("delivers each event before the origin writes the next one", async () => {
    const gap = 400;
    const res = await fetchWithTimeout(`${mesh.url}/sse/events?n=4&gap_ms=${gap}`, {
      headers: { accept: "text/event-stream" },
      timeoutMs: 20_000,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const arrivals = await readSseEvents(res.body!);
    expect(arrivals.map((e) => e.data)).toEqual(["0", "1", "2", "3"]);
    const sent = sse.sent.at(-1)!;
    expect(sent).toHaveLength(4);
    // Relative to the origin's own schedule, not to absolute speed: event i is in the client's hands
    // before the origin has written event i + 1, so the first arrives ~3 gaps before the stream ends.
    for (let i = 0; i < 3; i++) expect(arrivals[i]!.at, `event ${i}`).toBeLessThan(sent[i + 1]!);
    expect(sent[3]! - arrivals[0]!.at).toBeGreaterThan(2 * gap);
  });
});
