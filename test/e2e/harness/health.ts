import { expect } from "vitest";
import type { Mesh } from "./mesh";

// Reading an origin's health and the health events through the admin API,
// for the health-check and lease tests.

/** One origin in `GET /services/{name}/health`. */
export interface OriginHealth {
  id: string;
  health: { status: string; last_check: string | null; last_error: string | null };
}

/** One entry of `GET /events`. */
export interface HealthEvent {
  at: string;
  service: string;
  origin: string;
  from: string;
  to: string;
  reason: string;
}

/** The origin's health status as the registry reports it (undefined if it is not registered). */
export async function originStatus(mesh: Mesh, service: string, id: string): Promise<string | undefined> {
  const res = await mesh.admin("GET", `/services/${service}/health`);
  return (res.json?.origins as OriginHealth[] | undefined)?.find((o) => o.id === id)?.health.status;
}

/** The service's health events, newest first (up to 50). */
export async function healthEvents(mesh: Mesh, service: string): Promise<HealthEvent[]> {
  const res = await mesh.admin("GET", `/events?service=${service}&limit=50`);
  expect(res.status).toBe(200);
  return res.json.events as HealthEvent[];
}
