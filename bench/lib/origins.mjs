// The node origins (bench/origin.mjs), one process each, controlled over IPC.
import { fileURLToPath } from "node:url";
import { freePort, startProcess } from "./procs.mjs";

const ORIGIN = fileURLToPath(new URL("../origin.mjs", import.meta.url));

async function launch(name, port, latencyMs) {
  const proc = startProcess(
    process.execPath,
    [ORIGIN, "--port", String(port), "--name", name, "--latency", String(latencyMs)],
    { name, ipc: true },
  );
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${proc.output()}`)), 10_000);
    proc.child.on("message", (msg) => {
      if (msg.type === "ready") {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.exited.then(() => reject(new Error(`${name} exited:\n${proc.output()}`)));
  });
  return proc;
}

/**
 * Starts `count` origins answering after `latencyMs`; each can be slowed,
 * killed (SIGKILL: a crash) and started again on the same port.
 * @example const origins = await startNodeOrigins({ count: 5, latencyMs: 5 }); origins[0].set({ latencyMs: 50 });
 */
export async function startNodeOrigins({ count, latencyMs }) {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  return Promise.all(
    ports.map(async (port, i) => {
      const name = `o${i + 1}`;
      let proc = await launch(name, port, latencyMs);
      let behaviour = { latencyMs };
      return {
        name,
        port,
        url: `http://127.0.0.1:${port}`,
        pids: () => (proc.running() ? [proc.pid] : []),
        set(change) {
          behaviour = { ...behaviour, ...change };
          if (proc.running()) proc.child.send(change);
        },
        /** Requests this origin has answered (health checks excepted), as it counts them. */
        served: () =>
          new Promise((resolve) => {
            if (!proc.running()) return resolve(null);
            const timer = setTimeout(() => resolve(null), 2000);
            const onMessage = (msg) => {
              if (msg.type !== "count") return;
              clearTimeout(timer);
              proc.child.off("message", onMessage);
              resolve(msg.served);
            };
            proc.child.on("message", onMessage);
            proc.child.send({ type: "count" });
          }),
        kill: () => proc.kill(),
        async restart() {
          if (proc.running()) return;
          proc = await launch(name, port, behaviour.latencyMs);
        },
        stop: () => proc.stop(1000),
      };
    }),
  );
}
