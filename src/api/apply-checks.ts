import { logBuffer } from "../clients/log-buffer";
import { type MeshEnv, allowPrivateOrigins } from "../config";
import { diffRecords } from "../declarative/plan";
import { MeshError } from "../errors";
import { type LogSinkInput, checkSinkUrl } from "../model/log-sink";
import type { Change, MeshConfig } from "../model/mesh-config";
import { REDACTED, keepRedacted } from "../model/redact";
import { checked } from "./origins";
import { assertCertificateBinding } from "./service-writes";

/**
 * A parsed document with every URL checked as the single-resource routes
 * check it (SSRF guard, bindings) and normalized as they store it, so that
 * `apply` and `PUT` store the same thing and a re-apply plans nothing.
 */
export function checkedDocument(doc: MeshConfig, env: MeshEnv): MeshConfig {
  const services: MeshConfig["services"] = {};
  for (const [name, svc] of Object.entries(doc.services)) {
    if (svc.tls) assertCertificateBinding(env, svc.tls.client_certificate_binding);
    const origins = Object.fromEntries(
      Object.entries(svc.origins).map(([id, o]) => [
        id,
        { ...o, url: checked(o.url, env, `services.${name}.origins.${id}.url`).url },
      ]),
    );
    services[name] = { ...svc, origins };
  }
  const allowPrivate = allowPrivateOrigins(env);
  for (const [name, sink] of Object.entries(doc.log_sinks))
    checkSinkUrl(sink.url, { allowPrivate, field: `log_sinks.${name}.url` });
  return { ...doc, services };
}

/** The log sinks as stored (unredacted), by name. */
export async function storedSinks(env: MeshEnv): Promise<Record<string, LogSinkInput>> {
  return Object.fromEntries((await logBuffer(env).sinks()).map((s) => [s.name, s.config]));
}

/** The changes to the log sinks (which live in the LogBuffer, not the registry); `[redacted]` keeps a stored value. */
export async function planSinks(env: MeshEnv, desired: MeshConfig["log_sinks"], prune: boolean): Promise<Change[]> {
  const current = await storedSinks(env);
  const wanted = Object.fromEntries(
    Object.entries(desired).map(([name, sink]) => {
      if (!Object.values(sink.headers).includes(REDACTED)) return [name, sink];
      const headers = keepRedacted(sink.headers, current[name]?.headers, `log_sinks.${name}.headers`);
      return [name, { ...sink, headers }];
    }),
  );
  return diffRecords("log_sinks/", wanted, current, prune);
}

/** Applies the log-sink changes of a plan the registry has committed. */
export async function applySinkChanges(env: MeshEnv, changes: Change[]): Promise<void> {
  for (const c of changes) {
    if (!c.path.startsWith("log_sinks/")) continue;
    const name = c.path.slice("log_sinks/".length);
    if (c.op === "delete") await logBuffer(env).deleteSink(name);
    else await logBuffer(env).putSink(name, c.after as LogSinkInput);
  }
}

/** The MeshError a registry refusal stands for. */
export function refusal(out: { code: MeshError["code"]; message: string; path?: string }): MeshError {
  return new MeshError(out.code, out.message, out.path ? [{ path: out.path, message: out.message }] : []);
}
