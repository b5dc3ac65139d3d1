/** What the proxy reports about one request it handled: the input of its log line and its metrics. */
export interface RequestOutcome {
  ts: number; // epoch ms when the request arrived
  request_id: string;
  method: string;
  host: string;
  path: string; // without query string
  status: number;
  service: string | null;
  origin_id: string | null;
  pool: string | null; // the pool steering chose ("*": panic); null when the service does not steer
  attempts: number; // tries made (1 = no retry)
  duration_ms: number; // total, as the mesh measured it
  upstream_ms: number | null;
  bytes_out: number | null; // response body bytes if known
  client_ip: string | null; // raw; recordRequest applies MESH_LOG_CLIENT_IP (full | truncated /24,/48 | hashed | off)
  colo: string | null;
  country: string | null;
  error_code: string | null;
  /** The calling service, `external`, or null when the request was answered before it was known. */
  caller: string | null;
  ejected?: { service: string; origin: string } | null;
}
