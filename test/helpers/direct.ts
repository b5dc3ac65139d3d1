import { createExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { vi } from "vitest";
import type { MeshEnv } from "../../src/config";
import worker from "../../src/index";
import { env, token } from "./admin";

/** The kid of the signing key {@link directMesh} configures. */
export const DIRECT_KID = "fuzz-1";

/** The Worker with vars of its own, called directly (in workerd, with the test's bindings). */
export interface DirectMesh {
  env: MeshEnv;
  /** The signing key MESH_SIGNING_KEYS holds (kid {@link DIRECT_KID}), to verify what the mesh signs or forge near misses. */
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  /** Sends a request to the Worker's `fetch`; a throw (a crash) rejects. */
  fetch(request: Request): Promise<Response>;
  /** Calls the admin API with a mesh:read mesh:write token; `raw` is sent as the body as is. */
  admin(method: string, path: string, body?: unknown, raw?: string, contentType?: string): Promise<Response>;
}

/**
 * The Worker's default export with the test env plus `vars` and a fresh
 * signing key (so service tokens can be minted and x-mesh-identity is
 * signed): the vitest config's bindings cannot change per test file.
 * @example const mesh = await directMesh({ MESH_DEFAULT_INTENTION: "deny" })
 */
export async function directMesh(vars: Partial<MeshEnv> = {}): Promise<DirectMesh> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: DIRECT_KID };
  const meshEnv = { ...env, MESH_SIGNING_KEYS: JSON.stringify([jwk]), ...vars } as MeshEnv;
  const bearer = await token("mesh:read mesh:write", {}, meshEnv.MESH_ADMIN_SECRET!);
  const fetch = async (request: Request) =>
    worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, meshEnv, createExecutionContext());
  return {
    env: meshEnv,
    publicKey,
    privateKey,
    fetch,
    admin(method, path, body, raw, contentType = "application/json") {
      const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
      const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
      if (payload !== undefined) headers["content-type"] = contentType;
      return fetch(new Request(`https://mesh.test/_mesh/api/v1${path}`, { method, headers, body: payload }));
    },
  };
}

/**
 * Makes every outbound `fetch` of the isolate fail, and returns the URLs
 * that were tried: a test that must make no DNS lookup or network call
 * asserts the list stays empty. Service bindings are not `fetch`.
 */
export function refuseOutboundFetch(): string[] {
  const tried: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    tried.push(input instanceof Request ? input.url : String(input));
    throw new TypeError("outbound fetch refused by the test");
  });
  return tried;
}
