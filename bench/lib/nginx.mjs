// A real nginx (Debian's) in front of Catzilla processes, for the deployment test
// (test/deploy/nginx-drain.test.ts) and bench/nginx.mjs: the config docs/deployment.md
// shows, run in the foreground with its pid file, logs and temp paths in a directory of
// its own, optionally pinned to CPUs.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const NGINX = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find(existsSync);

/** "nginx/1.22.1", or undefined. */
export function nginxVersion() {
  if (NGINX === undefined) return undefined;
  const r = spawnSync(NGINX, ["-v"], { encoding: "utf8" });
  return /nginx\/\S+/.exec(`${r.stdout}${r.stderr}`)?.[0];
}

/** A port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The proxy part of the config (what docs/deployment.md shows): keep-alive connections to
 * the upstreams, and a request that failed on one (connection refused or reset before any
 * response byte: the instance never read it, see docs/deployment.md) retried on the next.
 */
export function proxyConfig(upstreams, listenPort, keepalive = 32) {
  return `
  upstream catzilla {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join("\n")}
    keepalive ${keepalive};
  }

  server {
    listen 127.0.0.1:${listenPort};

    location / {
      proxy_pass http://catzilla;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }
  }`;
}

/**
 * Starts nginx (not as a daemon) proxying to `upstreams`, with everything under `dir`;
 * `cpu` pins it (taskset -c), `accessLog: false` turns the access log off (benchmarks).
 * Resolves { port, dir, pid, accessLog(): lines ($status "$upstream_addr"
 * "$upstream_status" "$request"), errorLog(), stop() }.
 */
export async function startNginx(dir, upstreams, { cpu, accessLog = true, keepalive } = {}) {
  if (NGINX === undefined) throw new Error("nginx is not installed (scripts/setup.sh installs it)");
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
${process.getuid?.() === 0 ? "user root;\n" : ""}
events {
  worker_connections 1024;
}

http {
  log_format upstreams '$status "$upstream_addr" "$upstream_status" "$request"';
  access_log ${accessLog ? `${dir}/access.log upstreams` : "off"};
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${proxyConfig(upstreams, port, keepalive)}
}
`,
  );
  const argv = ["-p", dir, "-c", conf];
  const child = cpu === undefined ? spawn(NGINX, argv, { stdio: ["ignore", "ignore", "pipe"] }) : spawn("taskset", ["-c", String(cpu), NGINX, ...argv], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", () => resolve()));
  const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  // Ready once it accepts connections.
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}${read("error.log")}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > end) throw new Error(`nginx did not start: ${stderr}${read("error.log")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    pid: child.pid,
    accessLog: () => read("access.log").split("\n").filter(Boolean),
    errorLog: () => read("error.log"),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGQUIT"); // nginx's graceful stop
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
