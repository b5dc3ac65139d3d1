import type { CertIdentity } from "../src/model/identity";
import type { Intention, IntentionInput, Permission } from "../src/model/intention";

interface IntentionRow {
  source: string;
  destination: string;
  action: string;
  permissions: string;
  description: string;
  [key: string]: SqlStorageValue;
}

interface IdentityRow {
  service: string;
  cert_subject_dn: string;
  [key: string]: SqlStorageValue;
}

const toIntention = (r: IntentionRow): Intention => ({
  source: r.source,
  destination: r.destination,
  action: r.action as Intention["action"],
  permissions: JSON.parse(r.permissions) as Permission[],
  description: r.description,
});

/** The SQL of intentions and certificate identities; no rules (those are in src/policy/). */
export class PolicyStore {
  constructor(private readonly sql: SqlStorage) {}

  intentions(): Intention[] {
    return this.sql
      .exec<IntentionRow>(`SELECT * FROM intentions ORDER BY destination, source`)
      .toArray()
      .map(toIntention);
  }

  intention(source: string, destination: string): Intention | null {
    const row = this.sql
      .exec<IntentionRow>(`SELECT * FROM intentions WHERE source = ? AND destination = ?`, source, destination)
      .toArray()[0];
    return row ? toIntention(row) : null;
  }

  putIntention(source: string, destination: string, input: IntentionInput, now: number): void {
    this.sql.exec(
      `INSERT INTO intentions (source, destination, action, permissions, description, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, destination) DO UPDATE SET
         action = excluded.action, permissions = excluded.permissions,
         description = excluded.description, updated_at = excluded.updated_at`,
      source,
      destination,
      input.action,
      JSON.stringify(input.permissions),
      input.description,
      now,
      now,
    );
  }

  deleteIntention(source: string, destination: string): boolean {
    return (
      this.sql.exec(`DELETE FROM intentions WHERE source = ? AND destination = ?`, source, destination).rowsWritten > 0
    );
  }

  countIntentions(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM intentions`).one().n;
  }

  identities(): CertIdentity[] {
    return this.sql.exec<IdentityRow>(`SELECT service, cert_subject_dn FROM identities ORDER BY service`).toArray();
  }

  /** The service a certificate subject is mapped to, if any. */
  identityByDn(dn: string): string | null {
    return (
      this.sql.exec<IdentityRow>(`SELECT service FROM identities WHERE cert_subject_dn = ?`, dn).toArray()[0]
        ?.service ?? null
    );
  }

  putIdentity(service: string, dn: string, now: number): boolean {
    const existed = this.sql.exec(`SELECT 1 FROM identities WHERE service = ?`, service).toArray().length > 0;
    this.sql.exec(
      `INSERT INTO identities (service, cert_subject_dn, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (service) DO UPDATE SET cert_subject_dn = excluded.cert_subject_dn, updated_at = excluded.updated_at`,
      service,
      dn,
      now,
    );
    return !existed;
  }

  deleteIdentity(service: string): boolean {
    return this.sql.exec(`DELETE FROM identities WHERE service = ?`, service).rowsWritten > 0;
  }
}
