import type { TestProject } from "vitest/node";
import { unstable_readConfig } from "wrangler";

declare module "vitest" {
  export interface ProvidedContext {
    /** wrangler.toml's `[assets]`, as wrangler reads it: what the tests inside workerd cannot see. */
    assetsConfig: {
      binding?: string;
      run_worker_first?: boolean | string[];
      html_handling?: string;
      not_found_handling?: string;
    };
  }
}

/** Reads wrangler.toml in Node and hands its `[assets]` table to the tests (`inject("assetsConfig")`). */
export default function setup(project: TestProject): void {
  const { assets } = unstable_readConfig({ config: "wrangler.toml" });
  project.provide("assetsConfig", {
    binding: assets?.binding,
    run_worker_first: assets?.run_worker_first,
    html_handling: assets?.html_handling,
    not_found_handling: assets?.not_found_handling,
  });
}
