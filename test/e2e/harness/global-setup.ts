import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { bundleWorker, workerOptions } from "./worker.mjs";

// Once per test run: bundle the Worker as `wrangler deploy` would and turn
// wrangler.toml into Miniflare options; every test file's mesh reuses both.

declare module "vitest" {
  export interface ProvidedContext {
    /** The Worker's Miniflare options (v4 style), from wrangler.toml, with the bundled code. */
    flaremeshWorker: { worker: Record<string, unknown>; externalWorkers: Record<string, unknown>[] };
  }
}

/** vitest globalSetup: bundles the Worker into a temporary folder, removed after the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "flaremesh-e2e-bundle-"));
  const started = performance.now();
  const bundle = await bundleWorker(join(dir, "bundle"));
  const { worker, externalWorkers } = workerOptions(bundle);
  project.provide("flaremeshWorker", { worker, externalWorkers });
  console.info(`e2e: Worker bundled in ${Math.round(performance.now() - started)} ms`);
  return () => rm(dir, { recursive: true, force: true });
}
