// A bench origin: one small HTTP server per process, so that killing one is a
// real crash (SIGKILL) and one slow origin does not slow its peers' event loop.
//   node bench/origin.mjs --port 9001 --name o1 [--latency 5] [--status 200]
// Its parent changes the behaviour over IPC: { latencyMs, status }.
// Routes: /healthz (200 "ok", no delay), anything else: `status` after `latencyMs`.
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    name: { type: "string", default: "origin" },
    latency: { type: "string", default: "0" },
    status: { type: "string", default: "200" },
  },
});

const behaviour = { latencyMs: Number(values.latency), status: Number(values.status) };
const body = Buffer.from(`{"origin":"${values.name}"}\n`);
let served = 0;

process.on("message", (msg) => {
  if (msg && typeof msg === "object") {
    if (typeof msg.latencyMs === "number") behaviour.latencyMs = msg.latencyMs;
    if (typeof msg.status === "number") behaviour.status = msg.status;
    if (msg.type === "count") process.send?.({ type: "count", served });
  }
});
// Dies with its parent: an orphaned origin would keep the port.
process.on("disconnect", () => process.exit(0));

const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "3" }).end("ok\n");
    return;
  }
  served++;
  const { latencyMs, status } = behaviour;
  const answer = () =>
    res
      .writeHead(status, {
        "content-type": "application/json",
        "content-length": String(body.length),
        "x-origin": values.name,
      })
      .end(body);
  if (latencyMs > 0) setTimeout(answer, latencyMs);
  else answer();
});
// Longer than every proxy's idle upstream keep-alive, so no proxy reuses a connection the origin is closing.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(Number(values.port), "127.0.0.1", () => process.send?.({ type: "ready", port: server.address().port }));
