import { createHmac } from "node:crypto";
import { type Server, createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "./harness/http";
import { type Mesh, startMesh } from "./harness/mesh";
import { type Origin, startOrigin } from "./harness/origin";
import { registerService } from "./harness/services";

// Webhooks (SPEC §10): a signed POST per health transition, sent from the registry's alarm, retried until taken.

const SECRET = "a-webhook-secret-of-some-length";

interface Received {
  body: string;
  signature: string | undefined;
}

/** A receiver on 127.0.0.1 that records what it is sent and answers 204. */
function receiver(port = 0): Promise<{ server: Server; port: number; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      got.push({ body, signature: req.headers["x-flaremesh-signature"] as string | undefined });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : port, got });
    }),
  );
}

const signed = (r: Received) => `sha256=${createHmac("sha256", SECRET).update(r.body).digest("hex")}`;

let mesh: Mesh;
let origin: Origin;
const servers: Server[] = [];
beforeAll(async () => {
  [mesh, origin] = await Promise.all([startMesh(), startOrigin({ name: "hooked" })]);
  await registerService(mesh, "hooked", [mesh.expose(origin)]);
});
afterAll(async () => {
  for (const s of servers) s.close();
  await Promise.all([mesh?.stop(), origin?.stop()]);
});

const hook = async (name: string) =>
  (await mesh.admin("GET", "/webhooks")).json.webhooks.find((w: { name: string }) => w.name === name);

describe("webhooks", () => {
  it("POSTs each health transition signed with the webhook's secret", async () => {
    const rx = await receiver();
    servers.push(rx.server);
    const put = await mesh.admin("PUT", "/webhooks/ops", {
      url: mesh.expose({ name: "hooks", port: rx.port }),
      events: ["health"],
      secret: SECRET,
    });
    expect(put.status, JSON.stringify(put.json)).toBe(201);
    expect(JSON.stringify(put.json)).not.toContain(SECRET);

    expect((await mesh.admin("PATCH", "/services/hooked/origins/hooked-1", { drain: true })).status).toBe(200);
    const delivery = await waitFor(() => rx.got.find((r) => JSON.parse(r.body).to === "draining"), {
      timeoutMs: 10_000,
      what: "the drain transition at the receiver",
    });
    expect(delivery.signature).toBe(signed(delivery));
    expect(JSON.parse(delivery.body)).toMatchObject({
      event: "health",
      service: "hooked",
      origin: "hooked-1",
      to: "draining",
      at: expect.any(String),
      reason: expect.any(String),
    });
    const state = await waitFor(async () => {
      const w = await hook("ops");
      return w.status.pending === 0 ? w : null;
    });
    expect(state.status).toMatchObject({ consecutive_failures: 0, last_error: null });
    expect(state.status.delivered).toBeGreaterThanOrEqual(1);
  });

  it("keeps a transition for a receiver that is down and delivers it once it is back", async () => {
    const port = await freePort();
    const put = await mesh.admin("PUT", "/webhooks/late", { url: mesh.expose({ name: "late", port }), secret: SECRET });
    expect(put.status).toBe(201);
    expect((await mesh.admin("PATCH", "/services/hooked/origins/hooked-1", { drain: false })).status).toBe(200);

    const failing = await waitFor(
      async () => {
        const w = await hook("late");
        return w.status.consecutive_failures >= 1 ? w : null;
      },
      { timeoutMs: 10_000, what: "a failed delivery" },
    );
    expect(failing.status.pending).toBeGreaterThanOrEqual(1);
    expect(failing.status.last_error).toBeTruthy();
    expect(failing.status.next_attempt_at).not.toBeNull();

    const rx = await receiver(port);
    servers.push(rx.server);
    const delivery = await waitFor(() => rx.got.find((r) => JSON.parse(r.body).from === "draining"), {
      timeoutMs: 20_000,
      what: "the late delivery",
    });
    expect(delivery.signature).toBe(signed(delivery));
    const state = await waitFor(async () => {
      const w = await hook("late");
      return w.status.pending === 0 && w.status.consecutive_failures === 0 ? w : null;
    });
    expect(state.status.delivered).toBeGreaterThanOrEqual(1);
  });

  it("refuses a short secret naming the field, and 404s deleting a webhook that does not exist", async () => {
    const bad = await mesh.admin("PUT", "/webhooks/x", { url: "https://hooks.example.com", secret: "short" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe("secret");
    expect((await mesh.admin("DELETE", "/webhooks/none")).status).toBe(404);
  });
});
