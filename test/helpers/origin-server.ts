import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Port of the scripted origin on 127.0.0.1 (see `origin-server.ts`). */
    originPort: number;
  }
}

/** Longest `delay` the server honours, so a test can never hold it open for long. */
const MAX_DELAY_MS = 10_000;

/**
 * Answers as the request asks, with no state shared between tests:
 * `?status=` (else a `/status/NNN` path segment, which lets an origin's
 * base URL fix its answer, else 200), `?delay=` (ms before answering, at
 * most 10 s) and `?body=` (default `path=<path and query as received>`, so
 * a test can see which URL was called); `?stall` sends the headers and the
 * body but never ends the response; `?fail_regions=weur,apac` answers 500
 * to a request whose `x-mesh-check-region` is one of them (so regional
 * checkers can disagree).
 */
function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://origin.invalid");
  const failing = (url.searchParams.get("fail_regions") ?? "").split(",").filter(Boolean);
  const region = req.headers["x-mesh-check-region"];
  const status = failing.includes(typeof region === "string" ? region : "")
    ? 500
    : Number(url.searchParams.get("status") ?? /\/status\/(\d{3})(\/|$)/.exec(url.pathname)?.[1] ?? 200);
  const delay = Math.min(Number(url.searchParams.get("delay") ?? 0), MAX_DELAY_MS);
  const body = url.searchParams.get("body") ?? `path=${req.url}`;
  const stall = url.searchParams.has("stall");
  const timer = setTimeout(() => {
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "text/plain" });
    if (stall) res.write(body);
    else res.end(body);
  }, delay);
  res.once("close", () => clearTimeout(timer));
}

/** Listens on a free port of 127.0.0.1 and returns it. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Vitest global setup: starts the scripted origin on 127.0.0.1 for tests
 * that run in workerd (which cannot start servers) and provides its port
 * as `originPort`; closes the server when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer(answer);
  const port = await listen(server);
  project.provide("originPort", port);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
