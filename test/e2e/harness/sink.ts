import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One delivery a sink received. */
export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A log sink server on 127.0.0.1 (see `startSink`). */
export interface Sink {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly deliveries: readonly Delivery[];
  /** Every log entry received, in order, decoded from ndjson, json, loki or elasticsearch bodies. */
  entries(): Record<string, unknown>[];
  /** Answer every delivery with this status (default 204). */
  setStatus(status: number): void;
  /** Stops listening (connections refused), as a sink that is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/**
 * Starts an HTTP log sink on a free port of 127.0.0.1 that records every
 * POST and answers 204 (or the status set with `setStatus`).
 * @example const sink = await startSink(); await mesh.admin("PUT", "/log-sinks/s", { url: `${sink.url}/in` });
 */
export async function startSink(): Promise<Sink> {
  const deliveries: Delivery[] = [];
  let status = 204;
  let server: Server | null = null;
  let port = 0;

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (status >= 200 && status < 300)
          deliveries.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    deliveries,
    entries: () => deliveries.flatMap((d) => decode(d)),
    setStatus: (s) => (status = s),
    stop: async () => {
      const s = server;
      if (!s) return;
      server = null;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
    },
    restart: async () => {
      if (!server) await listen();
    },
  };
}

function decode(d: Delivery): Record<string, unknown>[] {
  const type = String(d.headers["content-type"] ?? "");
  if (type.startsWith("application/x-ndjson")) {
    const docs = d.body
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Elasticsearch _bulk: drop the action lines.
    return docs.filter((doc) => !("create" in doc && Object.keys(doc).length === 1));
  }
  const parsed = JSON.parse(d.body) as unknown;
  if (Array.isArray(parsed)) return parsed as Record<string, unknown>[];
  const push = parsed as { streams: { values: [string, string][] }[] };
  return push.streams.flatMap((s) => s.values.map(([, line]) => JSON.parse(line) as Record<string, unknown>));
}
