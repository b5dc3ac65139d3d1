// @ts-check
// How the CLI finds and calls the mesh: FLAREMESH_URL / FLAREMESH_TOKEN first, else the profile `login` wrote.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

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

/**
 * Calls the admin API; resolves the parsed JSON (null for 204), rejects with a MeshApiError for an error answer.
 * @param {string} method
 * @param {string} path under /_mesh/api/v1
 * @param {unknown} [body]
 * @param {{ url: string; token: string }} [to]
 * @returns {Promise<{ json: any; headers: Headers }>}
 */
export async function call(method, path, body, to = target()) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${to.token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(`${to.url}/_mesh/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(
      `cannot reach ${to.url}: ${/** @type {any} */ (err).cause?.code ?? /** @type {Error} */ (err).message}`,
    );
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new CliError(`${to.url} answered ${res.status} with something that is not JSON: is it a flaremesh?`);
  }
  if (!res.ok) throw new MeshApiError(res.status, json?.error ?? { code: `HTTP_${res.status}`, message: text });
  return { json, headers: res.headers };
}

/** `call` returning only the JSON. */
export const get = async (/** @type {string} */ path) => (await call("GET", path)).json;
