import type { MeshEnv } from "../config";
import { MeshError } from "../errors";
import { DevRequestCf } from "../model/dev-cf";
import type { RequestGeo } from "../steering/choose";

/** The header that stands in for `request.cf` when `MESH_DEV_REQUEST_CF` is "true" (local development only). */
export const DEV_CF_HEADER = "x-mesh-dev-cf";

/** Longest `x-mesh-dev-cf` read; a longer one is refused. */
const DEV_CF_MAX = 1024;

/** The parts of `request.cf` the data plane reads (Cloudflare gives coordinates as decimal strings). */
export interface RequestCf {
  colo?: string;
  country?: string;
  continent?: string;
  latitude?: string | number;
  longitude?: string | number;
  tlsClientAuth?: { certVerified?: string; certSubjectDN?: string };
}

/**
 * The request's `cf` properties: Cloudflare's own, with `x-mesh-dev-cf`'s
 * fields over them when `MESH_DEV_REQUEST_CF` is exactly "true". A header that
 * is not a JSON object of known fields is then a 400 `ERR_VALIDATION` naming
 * the field, so a mistyped test fails loudly. Without the var the header is
 * ignored (and never forwarded: `upstreamHeaders` drops it in every case).
 * @example const cf = requestCfOf(request, env); if (cf instanceof MeshError) return fail(x, cf)
 */
export function requestCfOf(
  request: Request,
  env: Pick<MeshEnv, "MESH_DEV_REQUEST_CF">,
): RequestCf | undefined | MeshError {
  const cf = request.cf as RequestCf | undefined;
  if (env.MESH_DEV_REQUEST_CF !== "true") return cf;
  const raw = request.headers.get(DEV_CF_HEADER);
  if (raw === null) return cf;
  const example = `such as {"country":"DE","continent":"EU","latitude":50.1,"longitude":8.7,"colo":"FRA"}`;
  let json: unknown;
  try {
    if (raw.length > DEV_CF_MAX) throw new Error("too long");
    json = JSON.parse(raw);
  } catch {
    return new MeshError(
      "ERR_VALIDATION",
      `${DEV_CF_HEADER} must be a JSON object of at most ${DEV_CF_MAX} bytes, ${example}`,
    );
  }
  const parsed = DevRequestCf.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((issue) => {
      const at = [DEV_CF_HEADER, ...issue.path.map(String)].join(".");
      if (issue.code === "unrecognized_keys")
        return issue.keys.map((k) => ({ path: `${at}.${k}`, message: "unknown field" }));
      return [{ path: at, message: issue.message }];
    });
    return new MeshError("ERR_VALIDATION", `${details[0]!.path}: ${details[0]!.message} (${example})`, details);
  }
  return { ...cf, ...parsed.data };
}

/** Where steering sees the request come from. */
export function geoOf(cf: RequestCf | undefined): RequestGeo {
  return {
    country: cf?.country ?? null,
    continent: cf?.continent ?? null,
    latitude: coordinate(cf?.latitude),
    longitude: coordinate(cf?.longitude),
  };
}

function coordinate(value: string | number | undefined): number | null {
  if (value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
