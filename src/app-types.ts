import type { MeshEnv } from "./config";

/** Who called the admin API, from a verified JWT. */
export interface Principal {
  subject: string | null;
  scopes: ReadonlySet<string>;
  /** With `mesh:heartbeat`, the only service this token may heartbeat for; null = any. */
  service: string | null;
}

/** Hono's type parameters for the whole app. */
export interface AppEnv {
  Bindings: MeshEnv;
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
