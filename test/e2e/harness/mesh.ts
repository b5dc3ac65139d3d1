import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { Log, LogLevel, Miniflare } from "miniflare";
import { inject } from "vitest";
import { Edge, GATEWAY_NAME, gatewayWorker, type MapOptions } from "./edge";
import { fetchWithTimeout } from "./http";
import { miniflareOptions } from "./worker.mjs";

/** What `mesh.admin()` returns: the status, the parsed JSON body (undefined if none) and the headers. */
export interface AdminResponse {
  status: number;
  // Tests index freely into API answers; each assertion checks the shape it needs.
  json: any;
  headers: Headers;
}

/** A running mesh: the real Worker in-process under Miniflare, behind the production-like edge (see `startMesh`). */
export interface Mesh {
  /** `http://127.0.0.1:<port>`: a real socket, for curl, node http, browsers and WebSocket clients. */
  url: string;
  port: number;
  /** The HS256 admin secret the Worker was started with. */
  secret: string;
  /** Local storage of the Worker's Durable Objects; deleted by `stop()`. */
  persistDir: string;
  /** The outbound layer every fetch() of the Worker and its Durable Objects goes through. */
  edge: Edge;
  /**
   * Maps `<origin.name>.origin.test` to the origin's port on the edge and
   * returns its base URL (`http://<name>.origin.test:<port>`), the URL to register.
   */
  expose(origin: { name: string; port: number }, opts?: MapOptions): string;
  /** The Miniflare instance, for what the helpers here do not cover. */
  miniflare: Miniflare;
  /** An admin JWT with the given space-separated scopes, valid for an hour; `extra` adds or overrides claims. */
  token(scope: string, extra?: Record<string, unknown>): Promise<string>;
  /** Calls `${url}/_mesh/api/v1${path}` with a token for `scope`. */
  admin(method: string, path: string, body?: unknown, scope?: string): Promise<AdminResponse>;
  /** Runs the Worker's real scheduled handler, as the minutely trigger would; throws unless it succeeds. */
  scheduled(cron?: string): Promise<void>;
  /**
   * Restarts the Worker (same port, same storage) with these test-only
   * service bindings instead of the ones it was started with, e.g. `{}` to
   * take a binding away as a deploy would.
   */
  setServices(services: Record<string, string>): Promise<void>;
  /**
   * Restarts the Worker (same port, same storage) with these vars merged over
   * the ones it was started with, as a deploy that changes `[vars]` would.
   */
  setVars(vars: Record<string, string>): Promise<void>;
  /**
   * Restarts the Worker (same port, same storage, the colo cache kept) with
   * the registry reachable or not (see `RegistryMode`). Every isolate starts
   * cold, as after a deploy or an eviction.
   */
  setRegistry(mode: RegistryMode): Promise<void>;
  /** Disposes Miniflare (workerd exits), closes the edge's connections and deletes the storage. Idempotent. */
  stop(): Promise<void>;
  /** What the Worker logged and Miniflare reported so far (the last 64 KiB), for failure messages. */
  output(): string;
}

export interface MeshOptions {
  /**
   * Extra Worker vars; they override wrangler.toml's and the harness's. The
   * harness runs in production mode, `MESH_ALLOW_PRIVATE_ORIGINS: "false"`.
   */
  vars?: Record<string, string>;
  /**
   * Test-only Workers bound to the mesh as service bindings: binding name →
   * module source (`export default { fetch }`). Production's wrangler.toml
   * binds none (it must not name a Worker that may not exist); these stand
   * in for `[[services]]` entries a user would add.
   */
  services?: Record<string, string>;
}

/**
 * How the Worker's REGISTRY binding behaves: `real` (the Registry Durable
 * Object), `hang` (an object that never answers, as an unreachable colo
 * would) or `fail` (every call throws at once). The last two bind REGISTRY
 * to a test-only Worker's class: nothing in the Worker's code or
 * wrangler.toml knows of it, so no production setting can turn it on.
 */
export type RegistryMode = "real" | "hang" | "fail";

/** The test-only stand-in for an unreachable registry: every method of its object hangs or throws. */
const DOWN_REGISTRY = "e2e-registry-down";
const downRegistryScript = (mode: "hang" | "fail") => `
import { DurableObject } from "cloudflare:workers";
const down = () => ${mode === "hang" ? "new Promise(() => {})" : 'Promise.reject(new Error("registry unreachable (test)"))'};
export class Registry extends DurableObject {
  routingFeed() { return down(); }
  snapshot() { return down(); }
  reportEjections() { return down(); }
  ensureAlarm() { return down(); }
  metricsState() { return down(); }
}
export default { fetch: () => new Response("test-only", { status: 404 }) };
`;

const OUTPUT_MAX = 64 * 1024;

/** Keeps what Miniflare logs instead of printing it. */
class CaptureLog extends Log {
  text = "";
  constructor() {
    super(LogLevel.WARN);
  }
  protected override log(message: string): void {
    this.append(`${message}\n`);
  }
  append(message: string): void {
    this.text = (this.text + message).slice(-OUTPUT_MAX);
  }
}

/**
 * Starts the real Worker (bundled once per run, options from wrangler.toml)
 * under Miniflare on a free port of 127.0.0.1, with fresh storage, a random
 * admin secret, production's `MESH_ALLOW_PRIVATE_ORIGINS=false`, and every
 * outbound fetch going through an `Edge` (map origins with `mesh.edge.map`).
 * @example
 * const mesh = await startMesh();
 * afterAll(() => mesh.stop());
 * const url = mesh.edge.map("users-a.origin.test", origin.port);
 * await mesh.admin("PUT", "/services/users/origins/a", { url });
 */
export async function startMesh(opts: MeshOptions = {}): Promise<Mesh> {
  const { worker, externalWorkers } = inject("flaremeshWorker");
  const persistDir = await mkdtemp(join(tmpdir(), "flaremesh-e2e-"));
  const secret = randomBytes(36).toString("base64url"); // 48 characters
  const edge = new Edge();
  const log = new CaptureLog();
  let bindings: Record<string, unknown> = {
    ...(worker.bindings as Record<string, unknown>),
    MESH_ADMIN_SECRET: secret,
    MESH_ALLOW_PRIVATE_ORIGINS: "false",
    ...opts.vars,
  };
  let services = opts.services ?? {};
  const compatibilityDate = worker.compatibilityDate as string;
  const options = (port: number) =>
    miniflareOptions({
      host: "127.0.0.1",
      port,
      log,
      logRequests: false,
      resourcePersistencePath: persistDir,
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) =>
        log.append(`[${level}] ${message}\n`),
      workers: [
        {
          ...worker,
          bindings,
          outboundService: GATEWAY_NAME,
          serviceBindings: {
            ...(worker.serviceBindings as Record<string, unknown> | undefined),
            ...Object.fromEntries(Object.keys(services).map((b) => [b, boundWorkerName(b)])),
          },
          ...(registryMode === "real"
            ? {}
            : {
                durableObjects: {
                  ...(worker.durableObjects as Record<string, unknown>),
                  REGISTRY: { className: "Registry", scriptName: DOWN_REGISTRY },
                },
              }),
        },
        ...(registryMode === "real"
          ? []
          : [
              {
                name: DOWN_REGISTRY,
                modules: true,
                script: downRegistryScript(registryMode),
                compatibilityDate,
                // The real namespace's identity (Miniflare's `<worker>-<class>`), so ids, and so the cache key
                // that names this mesh's registry, stay what they are in a real outage.
                durableObjects: {
                  REGISTRY: { className: "Registry", useSQLite: true, unsafeUniqueKey: `${worker.name}-Registry` },
                },
              },
            ]),
        gatewayWorker(edge, compatibilityDate),
        ...Object.entries(services).map(([b, script]) => ({
          name: boundWorkerName(b),
          modules: true,
          script,
          compatibilityDate,
        })),
        ...externalWorkers,
      ],
    });
  let registryMode: RegistryMode = "real";
  const miniflare = new Miniflare(options(0));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await miniflare.dispose().catch((err: Error) => log.append(`dispose: ${err.message}\n`));
      edge.close();
      await rm(persistDir, { recursive: true, force: true, maxRetries: 3 });
    })());

  let url: string;
  try {
    url = (await miniflare.ready).origin;
  } catch (err) {
    await stop();
    throw new Error(`mesh did not start: ${(err as Error).message}\n--- output ---\n${log.text}`);
  }

  const key = new TextEncoder().encode(secret);
  const token = (scope: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    // `extra` comes last so a test can forge any claim, e.g. an `exp` in the past.
    const claims = { sub: "e2e-test", scope, iat: now, exp: now + 3600, ...extra };
    return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
  };

  const admin = async (
    method: string,
    path: string,
    body?: unknown,
    scope = "mesh:read mesh:write",
  ): Promise<AdminResponse> => {
    const headers: Record<string, string> = { authorization: `Bearer ${await token(scope)}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetchWithTimeout(`${url}/_mesh/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: 15_000,
    });
    const text = await res.text();
    return { status: res.status, json: parseJson(text), headers: res.headers };
  };

  const scheduled = async (cron = "* * * * *"): Promise<void> => {
    const fetcher = await miniflare.getWorker();
    const result = await fetcher.scheduled({ cron, scheduledTime: new Date() });
    if (result.outcome !== "ok") throw new Error(`scheduled handler failed: ${result.outcome}\n${log.text}`);
  };

  const port = Number(new URL(url).port);
  const restart = async (): Promise<void> => {
    await miniflare.setOptions(options(port));
    const now = (await miniflare.ready).origin;
    if (now !== url) throw new Error(`mesh moved from ${url} to ${now} on restart`);
  };
  const setServices = (next: Record<string, string>): Promise<void> => {
    services = next;
    return restart();
  };
  const setVars = (vars: Record<string, string>): Promise<void> => {
    bindings = { ...bindings, ...vars };
    return restart();
  };
  const setRegistry = (mode: RegistryMode): Promise<void> => {
    registryMode = mode;
    return restart();
  };
  const expose = (origin: { name: string; port: number }, mapOpts?: MapOptions): string =>
    edge.map(`${origin.name}.origin.test`, origin.port, mapOpts);
  return {
    url,
    port,
    secret,
    persistDir,
    edge,
    expose,
    miniflare,
    token,
    admin,
    scheduled,
    setServices,
    setVars,
    setRegistry,
    stop,
    output: () => log.text,
  };
}

/** The Miniflare name of the test Worker behind a service binding. */
function boundWorkerName(binding: string): string {
  return `e2e-bound-${binding.toLowerCase().replace(/_/g, "-")}`;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
