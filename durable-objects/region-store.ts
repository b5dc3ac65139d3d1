import type { ServiceRow } from "./rows";

/** What a stored service config holds when it lists at least one region. */
const REGIONS_MARK = '"regions":["';

/** A `region_checks` row (see region-schema.ts). */
export interface RegionRow {
  service: string;
  origin: string;
  region: string;
  url: string;
  /** The region's threshold state (src/health/region.ts), as JSON. */
  state: string;
  /** When this region checks the origin next; null: due now. */
  next_check_at: number | null;
  [key: string]: SqlStorageValue;
}

/**
 * The SQL of the per-region health of services with `health_check.regions`:
 * one method per statement, no business rules (those are in
 * region-checks.ts), as in store.ts.
 */
export class RegionStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /**
   * The rows of the services that may list regions: those whose stored config holds a non-empty
   * `"regions":[` array (configs are stored as `JSON.stringify` writes them), so services without
   * regions are never parsed for regional work. A candidate is confirmed by parsing its config.
   */
  candidateServices(name?: string): ServiceRow[] {
    return name === undefined
      ? this.sql
          .exec<ServiceRow>(`SELECT * FROM services WHERE instr(config, ?) > 0 ORDER BY name`, REGIONS_MARK)
          .toArray()
      : this.sql
          .exec<ServiceRow>(`SELECT * FROM services WHERE name = ? AND instr(config, ?) > 0`, name, REGIONS_MARK)
          .toArray();
  }

  /** One region's rows of one service. */
  regionRows(region: string, service: string): RegionRow[] {
    return this.sql
      .exec<RegionRow>(`SELECT * FROM region_checks WHERE region = ? AND service = ?`, region, service)
      .toArray();
  }

  /** Every region's rows of one service (or of one origin of it). */
  serviceRows(service: string, origin?: string): RegionRow[] {
    return origin === undefined
      ? this.sql.exec<RegionRow>(`SELECT * FROM region_checks WHERE service = ?`, service).toArray()
      : this.sql
          .exec<RegionRow>(`SELECT * FROM region_checks WHERE service = ? AND origin = ?`, service, origin)
          .toArray();
  }

  /** Inserts or replaces a row. */
  write(row: RegionRow): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO region_checks (service, origin, region, url, state, next_check_at) VALUES (?, ?, ?, ?, ?, ?)`,
      row.service,
      row.origin,
      row.region,
      row.url,
      row.state,
      row.next_check_at,
    );
  }

  /** Drops a service's rows of every region but `keep` (all of them when `keep` is empty). */
  keepRegions(service: string, keep: readonly string[]): void {
    this.sql.exec(
      `DELETE FROM region_checks WHERE service = ? AND region NOT IN (SELECT value FROM json_each(?))`,
      service,
      JSON.stringify(keep),
    );
  }

  /** Makes every region's check of every origin of a service due at `at`. */
  scheduleService(service: string, at: number): void {
    this.sql.exec(`UPDATE region_checks SET next_check_at = ? WHERE service = ?`, at, service);
  }
}
