import { expect } from "vitest";
import type { AdminResponse, Mesh } from "./mesh";

// Registering a service and its origins through the admin API, for tests
// that are about something else.

/** An origin to register: its URL (id `<service>-<n>`), or its id, URL and weight. */
export type Member = string | { id: string; url: string; weight?: number };

/**
 * Registers a service at `/<name>` (prefix stripped, no active checks unless
 * `extra` says so) with one origin per member (a bare URL gets the id
 * `<name>-1`, `<name>-2` …), asserting each write; returns the origins' write answers.
 * @example await registerService(mesh, "ws", [mesh.expose(echo)]);
 */
export async function registerService(
  mesh: Mesh,
  name: string,
  members: Member[],
  extra: Record<string, unknown> = {},
): Promise<AdminResponse[]> {
  const put = await mesh.admin("PUT", `/services/${name}`, {
    routes: [{ path_prefix: `/${name}` }],
    strip_prefix: true,
    health_check: null,
    ...extra,
  });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  const written: AdminResponse[] = [];
  for (const [i, member] of members.entries()) {
    const { id, url, weight } = typeof member === "string" ? { id: `${name}-${i + 1}`, url: member } : member;
    const res = await mesh.admin(
      "PUT",
      `/services/${name}/origins/${id}`,
      weight === undefined ? { url } : { url, weight },
    );
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    written.push(res);
  }
  return written;
}
