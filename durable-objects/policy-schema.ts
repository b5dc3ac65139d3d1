/**
 * Migration of the Registry for SPEC §9: intentions (who may call whom) and
 * certificate identities (which client certificate is which service).
 */
export const POLICY_MIGRATION: readonly string[] = [
  `CREATE TABLE intentions (
     source TEXT NOT NULL,
     destination TEXT NOT NULL,
     action TEXT NOT NULL,
     permissions TEXT NOT NULL,
     description TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (source, destination)
   )`,
  `CREATE TABLE identities (
     service TEXT PRIMARY KEY,
     cert_subject_dn TEXT NOT NULL UNIQUE,
     updated_at INTEGER NOT NULL
   )`,
];
