import { env as rawEnv, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import type { MeshEnv } from "../../src/config";

/** The test environment, with the optional vars typed. */
export const env = rawEnv as MeshEnv;

/** An HS256 admin token signed with the test secret. */
export async function token(
  scope = "mesh:read mesh:write",
  claims: Record<string, unknown> = {},
  secret = env.MESH_ADMIN_SECRET!,
): Promise<string> {
  return new SignJWT({ scope, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("test")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(secret));
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
}

/** Calls the admin API through the whole Worker. */
export async function api(
  method: string,
  path: string,
  body?: unknown,
  opts: { scope?: string; token?: string | null; raw?: string; contentType?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  const bearer = opts.token === undefined ? await token(opts.scope) : opts.token;
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
  const res = await exports.default.fetch(`https://mesh.test/_mesh/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** A minimal valid service body. */
export const SERVICE = { routes: [{ host: "api.example.com", path_prefix: "/users" }] };
