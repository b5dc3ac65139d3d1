// @ts-check
// How the CLI finds and calls the mesh: FLAREMESH_URL / FLAREMESH_TOKEN first, else the profile `login` wrote.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import createClient from "openapi-fetch";

/** An error the mesh answered: its code, message and per-field details, as SPEC §3 defines them. */
export class MeshApiError extends Error {
  /**
   * @param {number} status
   * @param {{ code: string; message: string; details?: { path: string; message: string }[] }} error
   */
  constructor(status, error) {
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = error.details ?? [];
  }
}

/** A mistake of the user's that is not the mesh's answer (no URL, unreadable file…): exit code 1. */
export class CliError extends Error {}

/** Where `login` keeps the profile: $FLAREMESH_CONFIG, else ~/.config/flaremesh/profile.json. */
export function profilePath() {
  return (
    process.env.FLAREMESH_CONFIG ||
    join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "flaremesh", "profile.json")
  );
}

/** Writes the profile readable only by its owner (0600, in a 0700 directory). */
export function writeProfile(/** @type {{ url: string; token: string }} */ profile) {
  const path = profilePath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its mode on write
  return path;
}

/** The mesh's base URL and token: the environment wins over the profile. */
export function target() {
  /** @type {{ url?: string; token?: string }} */
  let profile = {};
  try {
    profile = JSON.parse(readFileSync(profilePath(), "utf8"));
  } catch {}
  const url = process.env.FLAREMESH_URL || profile.url;
  const token = process.env.FLAREMESH_TOKEN || profile.token;
  if (!url) throw new CliError("no mesh URL: set FLAREMESH_URL or run `flaremesh login --url URL --token TOKEN`");
  if (!token) throw new CliError("no token: set FLAREMESH_TOKEN or run `flaremesh login`");
  return { url: url.replace(/\/+$/, ""), token };
}

/** @typedef {import("./generated/admin-api.d.ts").paths} Paths */

/**
 * Calls the admin API through the typed client generated from its OpenAPI document (cli/generated/admin-api.d.ts):
 * `template` is the document's path (`/services/{name}`), `params` fills it and the query. Resolves the parsed
 * JSON (null for 204) and the headers; rejects with a MeshApiError for an error answer.
 * @param {"GET" | "PUT" | "POST" | "PATCH" | "DELETE"} method
 * @param {keyof Paths} template
 * @param {{ path?: Record<string, string | number>; query?: Record<string, string | number | boolean>; body?: unknown }} [params]
 * @param {{ url: string; token: string }} [to]
 * @returns {Promise<{ json: any; headers: Headers }>}
 */
export async function call(method, template, params = {}, to = target()) {
  const client = createClient({
    baseUrl: `${to.url}/_mesh/api/v1`,
    headers: { authorization: `Bearer ${to.token}`, accept: "application/json" },
  });
  let res;
  try {
    res = await /** @type {any} */ (client).request(method.toLowerCase(), template, {
      params: { path: params.path ?? {}, query: params.query ?? {} },
      ...(params.body === undefined ? {} : { body: params.body }),
      parseAs: "text",
    });
  } catch (err) {
    throw new CliError(
      `cannot reach ${to.url}: ${/** @type {any} */ (err).cause?.code ?? /** @type {Error} */ (err).message}`,
    );
  }
  // Successes come as text (parseAs), errors as openapi-fetch parsed them (JSON when they are).
  const text = res.data ?? res.error ?? "";
  let json = null;
  try {
    json = typeof text !== "string" ? text : text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`${to.url} answered ${res.response.status} with something that is not JSON: is it a flaremesh?`);
  }
  if (!res.response.ok)
    throw new MeshApiError(res.response.status, json?.error ?? { code: `HTTP_${res.response.status}`, message: text });
  return { json, headers: res.response.headers };
}

/** `call("GET", …)` returning only the JSON. */
export const get = async (/** @type {keyof Paths} */ template, /** @type {Parameters<typeof call>[2]} */ params = {}) =>
  (await call("GET", template, params)).json;
