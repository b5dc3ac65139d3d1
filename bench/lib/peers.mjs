// nginx and HAProxy, as users would configure them in front of the same
// origins: one worker / one thread, generated configs in the run's temp dir,
// run in the foreground as the current user, on 127.0.0.1 only.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startProcess } from "./procs.mjs";

function nginxMain(dir, http) {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_timeout 120s;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}

async function runNginx(dir, name, conf) {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "nginx.conf");
  await writeFile(file, conf);
  return startProcess("nginx", ["-p", dir, "-c", file, "-e", join(dir, "error.log")], { name });
}

/**
 * nginx as a static origin on every port of `ports` (one worker): the
 * fastest origin this machine has, for the raw-throughput scenario.
 */
export function startStaticOrigin({ dir, ports }) {
  const listens = ports.map((p) => `    listen 127.0.0.1:${p};`).join("\n");
  const http = `  server {
${listens}
    location / { default_type application/json; return 200 '{"origin":"static"}\\n'; }
  }`;
  return runNginx(dir, "nginx-origin", nginxMain(dir, http));
}

/**
 * nginx as the load balancer: round robin or least_conn, passive health
 * (max_fails=1 fail_timeout=10s, nginx's defaults written out), retries to
 * the next origin on errors, timeouts and 502/503/504 (at most 3 tries), and
 * upstream keep-alive.
 */
export function startNginxProxy({ dir, port, origins, policy }) {
  const servers = origins.map((o) => `    server ${o.replace("http://", "")} max_fails=1 fail_timeout=10s;`).join("\n");
  const http = `  upstream backend {
    ${policy === "least_conn" ? "least_conn;" : "# round robin"}
${servers}
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 1s;
      proxy_send_timeout 5s;
      proxy_read_timeout 5s;
    }
  }`;
  return runNginx(dir, `nginx-${policy}`, nginxMain(dir, http));
}

/**
 * HAProxy as the load balancer: roundrobin or leastconn, one thread, passive
 * health (observe layer7, error-limit 5, on-error mark-down; HAProxy acts on
 * it only for servers with `check`, so a slow 10 s active check is on too),
 * 2 retries on all retryable errors, redispatched to another server.
 */
export async function startHaproxy({ dir, port, origins, policy }) {
  await mkdir(dir, { recursive: true });
  const servers = origins.map((o, i) => `  server o${i + 1} ${o.replace("http://", "")}`).join("\n");
  const conf = `global
  nbthread 1
  maxconn 4096
  pidfile ${dir}/haproxy.pid

defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 5s
  timeout http-keep-alive 60s
  option http-keep-alive
  retries 2
  option redispatch 1
  retry-on all-retryable-errors

frontend fe
  bind 127.0.0.1:${port}
  default_backend be

backend be
  balance ${policy}
  option httpchk GET /healthz
  default-server check inter 10s fall 3 rise 2 observe layer7 error-limit 5 on-error mark-down
${servers}
`;
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, conf);
  return startProcess("haproxy", ["-f", file, "-db"], { name: `haproxy-${policy}`, cwd: dir });
}
