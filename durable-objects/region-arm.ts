import { checker } from "../src/clients/checker";
import type { MeshEnv } from "../src/config";

/**
 * Arms each region's checker for its next due check (`wake(region)`), or
 * stops it when its region has nothing left to check (null). One Durable
 * Object call per region, all at once. A checker that cannot be reached is
 * logged, never failing the write that armed it: the cron watchdog arms it
 * again within a minute.
 * @example await armCheckers(env, ["wnam", "weur"], (r) => regionNextWake(store, regions, r))
 */
export async function armCheckers(
  env: Pick<MeshEnv, "CHECKER">,
  regions: Iterable<string>,
  wake: (region: string) => number | null,
): Promise<void> {
  await Promise.all(
    [...new Set(regions)].map((region) =>
      checker(env, region)
        .arm(region, wake(region))
        .catch((err: unknown) => console.error(`health: checker ${region} could not be armed: ${String(err)}`)),
    ),
  );
}
