import type { CertIdentity } from "../src/model/identity";
import type { Intention, IntentionInput } from "../src/model/intention";
import type { PolicyStore } from "./policy-store";
import type { RegistryStore } from "./store";

/** Most intentions the registry holds: each is in every isolate's snapshot. */
export const MAX_INTENTIONS = 5000;

const describe = (i: IntentionInput) =>
  `${i.action}${i.permissions.length > 0 ? ` (${i.permissions.length} permission${i.permissions.length === 1 ? "" : "s"})` : ""}`;

/** The event row's origin field for an intention: events are per service (the destination) and "origin". */
const subject = (source: string) => `intention:${source}`;

/**
 * Creates or replaces an intention, records the change as an event of its
 * destination and bumps the version (intentions travel in the snapshot).
 * Null when it would pass {@link MAX_INTENTIONS}.
 */
export function writeIntention(
  store: RegistryStore,
  policy: PolicyStore,
  source: string,
  destination: string,
  input: IntentionInput,
  now: number,
): { created: boolean; intention: Intention } | null {
  return store.transaction(() => {
    const before = policy.intention(source, destination);
    if (before === null && policy.countIntentions() >= MAX_INTENTIONS) return null;
    policy.putIntention(source, destination, input, now);
    const reason = `intention ${source} → ${destination}: ${describe(input)}${before ? `, was ${describe(before)}` : ""}`;
    store.addEvent(now, destination, subject(source), before?.action ?? "none", input.action, reason);
    store.bump();
    return { created: before === null, intention: { source, destination, ...input } };
  });
}

/** Deletes an intention (an event, a version bump); false when there was none. */
export function removeIntention(
  store: RegistryStore,
  policy: PolicyStore,
  source: string,
  destination: string,
  now: number,
): boolean {
  return store.transaction(() => {
    const before = policy.intention(source, destination);
    if (before === null) return false;
    policy.deleteIntention(source, destination);
    const reason = `intention ${source} → ${destination} deleted (was ${describe(before)})`;
    store.addEvent(now, destination, subject(source), before.action, "deleted", reason);
    store.bump();
    return true;
  });
}

/**
 * Maps a certificate subject to a service; `conflict` names the service
 * that already has that subject (one certificate is one service).
 */
export function writeIdentity(
  store: RegistryStore,
  policy: PolicyStore,
  identity: CertIdentity,
  now: number,
): { created: boolean } | { conflict: string } {
  return store.transaction(() => {
    const holder = policy.identityByDn(identity.cert_subject_dn);
    if (holder !== null && holder !== identity.service) return { conflict: holder };
    const created = policy.putIdentity(identity.service, identity.cert_subject_dn, now);
    store.bump();
    return { created };
  });
}

/** Removes a service's certificate identity; false when it had none. */
export function removeIdentity(store: RegistryStore, policy: PolicyStore, service: string): boolean {
  return store.transaction(() => {
    const deleted = policy.deleteIdentity(service);
    if (deleted) store.bump();
    return deleted;
  });
}
