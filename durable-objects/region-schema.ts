/**
 * Migration 3 of the Registry (see schema.ts): what each region's checker
 * saw of each origin of a service with `health_check.regions`. One row per
 * (service, origin, region), created when that region first takes the
 * origin's check; `url` is the URL the row is about (a re-registration with
 * another URL starts the region's view afresh); `state` is the region's
 * threshold state (src/health/region.ts) as JSON; `next_check_at` is when
 * that region checks the origin next. Additive: an older version never
 * reads the table.
 */
export const REGION_MIGRATION: readonly string[] = [
  `CREATE TABLE region_checks (
     service TEXT NOT NULL,
     origin TEXT NOT NULL,
     region TEXT NOT NULL,
     url TEXT NOT NULL,
     state TEXT NOT NULL,
     next_check_at INTEGER,
     PRIMARY KEY (service, origin, region)
   )`,
  `CREATE INDEX region_checks_by_region ON region_checks (region, service)`,
];
