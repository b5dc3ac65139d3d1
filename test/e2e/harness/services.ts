import { expect } from "vitest";
import type { AdminResponse, Mesh } from "./mesh";

// Registering a service and its origins through the admin API, for tests
// that are about something else.

/**
 * Registers a service at `/<name>` (prefix stripped, no active checks unless
 * `extra` says so) with one origin per URL (ids `<name>-1`, `<name>-2` …),
 * asserting each write; returns the origins' write answers.
 * @example await registerService(mesh, "ws", [mesh.expose(echo)]);
 */
export async function registerService(
  mesh: Mesh,
  name: string,
  urls: string[],
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
  for (const [i, url] of urls.entries()) {
    const res = await mesh.admin("PUT", `/services/${name}/origins/${name}-${i + 1}`, { url });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    written.push(res);
  }
  return written;
}
