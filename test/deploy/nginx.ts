/**
 * A real nginx (Debian's) in front of Catzilla processes, for the deployment tests: the
 * config docs/deployment.md shows, run in the foreground with its pid file, logs and
 * temp paths in a directory of its own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const NGINX = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find(existsSync);

/** A port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The proxy part of the config (what docs/deployment.md shows): keep-alive connections to
 * the upstreams, and a request that failed on one (connection refused or reset before any
 * response byte: the instance never read it, see docs/deployment.md) retried on the next.
 */
export function proxyConfig(upstreams: number[], listenPort: number): string {
  return `
  upstream catzilla {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join("\n")}
    keepalive 32;
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

export interface Nginx {
  port: number;
  dir: string;
  /** The access log's lines ($status $upstream_addr $upstream_status $request). */
  accessLog(): string[];
  errorLog(): string;
  stop(): Promise<void>;
}

/** Starts nginx (not as a daemon) proxying to `upstreams`, with everything under `dir`. */
export async function startNginx(dir: string, upstreams: number[]): Promise<Nginx> {
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
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${proxyConfig(upstreams, port)}
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
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
