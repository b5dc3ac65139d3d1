import type { Change, Revision } from "../src/model/mesh-config";
import { iso } from "../src/model/time";

/** Most revisions kept; older ones are pruned as new ones are recorded. */
export const MAX_REVISIONS = 1000;

interface RevisionRow {
  revision: number;
  at: number;
  by: string;
  changes: string;
  [key: string]: SqlStorageValue;
}

const toRevision = (r: RevisionRow): Revision => ({
  revision: r.revision,
  at: iso(r.at),
  by: r.by,
  changes: JSON.parse(r.changes) as Change[],
});

/** The `revisions` table's SQL: one method per statement. */
export class RevisionStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Records applied changes; returns the revision number. */
  record(at: number, by: string, changes: Change[]): number {
    const { revision } = this.sql
      .exec<{ revision: number }>(
        `INSERT INTO revisions (at, by, changes) VALUES (?, ?, ?) RETURNING revision`,
        at,
        by,
        JSON.stringify(changes),
      )
      .one();
    this.sql.exec(`DELETE FROM revisions WHERE revision <= ?`, revision - MAX_REVISIONS);
    return revision;
  }

  /** The newest `limit` revisions, newest first. */
  latest(limit: number): Revision[] {
    return this.sql
      .exec<RevisionRow>(`SELECT * FROM revisions ORDER BY revision DESC LIMIT ?`, limit)
      .toArray()
      .map(toRevision);
  }

  /** The revisions after `revision`, newest first (what a rollback to it undoes); null when it is not kept. */
  after(revision: number): Revision[] | null {
    const oldest = this.sql.exec<{ r: number | null }>(`SELECT MIN(revision) AS r FROM revisions`).one().r;
    if (oldest !== null && revision < oldest - 1) return null;
    return this.sql
      .exec<RevisionRow>(`SELECT * FROM revisions WHERE revision > ? ORDER BY revision DESC`, revision)
      .toArray()
      .map(toRevision);
  }
}
