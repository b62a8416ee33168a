/**
 * The guides' examples run as the pages say: docs/routing.md, docs/handlers.md and
 * docs/limits.md. Each page's ```ts <file> blocks are written out, compiled with the real
 * compiler and served by the real native server; the requests of the page's tables are sent
 * over real sockets (raw TCP where the status line, headers or connection matter) and the
 * answers compared with what the page states.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { LIMIT_DEFAULTS } from "../../runtime/abi.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { docExamples, docPage } from "../helpers/doc-examples.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";
import { readRoutesJson, runCli, writeApp } from "./helpers.js";

const running: RunningApp[] = [];
afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
});

/** Writes a page's example files into a fresh directory, compiles `entries`; returns the directory. */
async function compilePage(page: string, files: string[], entries = ["app.ts"]): Promise<string> {
  const sources = docExamples(page);
  expect(Object.keys(sources)).toEqual(files);
  const dir = writeApp(`docs-${page.replace(/\W+/g, "-")}`, sources);
  const r = await compile({ entries, outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return dir;
}

async function serveDir(dir: string, options: Record<string, unknown> = {}): Promise<RunningApp> {
  const app = await serve(path.join(dir, ".catzilla"), options);
  running.push(app);
  return app;
}

/** One request on its own connection, raw: status, headers (lower-cased names), body. */
async function raw(port: number, request: string, noBody = false) {
  const ex = await exchange(port, [request], { responses: 1 });
  const { responses } = parseResponses(ex.data, noBody ? [0] : []);
  expect(responses.length, ex.data).toBe(1);
  return { ...responses[0], closed: ex.closed };
}

describe("docs/routing.md", () => {
  let app: RunningApp;

  it("its example compiles and answers every request of the page's table as stated", async () => {
    const dir = await compilePage("routing.md", ["app.ts", "admin.ts"]);
    app = await serveDir(dir);
    const body = async (target: string, init?: RequestInit) => {
      const res = await fetch(app.url + target, init);
      return { status: res.status, text: await res.text() };
    };
    expect(await body("/")).toEqual({ status: 200, text: "home" });
    expect(await body("/users", { method: "POST", body: '{"name":"lin"}' })).toEqual({ status: 200, text: '{"created":"lin"}' });
    expect(await body("/users/1")).toEqual({ status: 200, text: '{"id":1,"name":"ada"}' });
    expect(await body("/users/me")).toEqual({ status: 200, text: '{"id":0,"name":"me"}' });
    expect(await body("/users/bob")).toEqual({ status: 200, text: '{"byName":"bob"}' });
    expect(await body("/users/a%20b")).toEqual({ status: 200, text: '{"byName":"a b"}' });
    expect(await body("/users/7")).toEqual({ status: 404, text: '{"error":"no user 7"}' });
    expect(await body("/feed/atom")).toEqual({ status: 200, text: '{"format":"atom"}' });
    expect((await body("/feed/xml")).status).toBe(404);
    expect(await body("/price/2.5")).toEqual({ status: 200, text: '{"doubled":5}' });
    expect(await body("/orders/abc")).toEqual({
      status: 400,
      text: '{"error":"Bad Request","message":"Path parameter \'id\' must be an integer.","param":"id","expected":"int"}',
    });
    expect(await body("/orders/12")).toEqual({ status: 200, text: '{"order":12}' });
    expect(await body("/files/a/b.txt")).toEqual({ status: 200, text: '{"file":"a/b.txt"}' });
    expect(await body("/files/")).toEqual({ status: 200, text: '{"file":""}' });
    expect(await body("/files/my%20notes.txt")).toEqual({ status: 200, text: '{"file":"my notes.txt"}' });
    expect(await body("/files/readme")).toEqual({ status: 200, text: "the readme" });
    expect(await body("/cache", { method: "PURGE" })).toEqual({ status: 200, text: '{"purged":true}' });
    expect(await body("/api")).toEqual({ status: 200, text: "api root" });
    expect(await body("/api/v1/ping")).toEqual({ status: 200, text: "pong" });
    expect(await body("/admin/stats")).toEqual({ status: 200, text: '{"users":2}' });
    expect(await body("/admin/users/2", { method: "DELETE" })).toEqual({ status: 200, text: '{"deleted":2}' });
    expect(await body("/nope")).toEqual({ status: 404, text: '{"error":"Not Found"}' });
    // Query strings do not take part in matching; trailing slashes do.
    expect(await body("/users/1?x=1")).toEqual({ status: 200, text: '{"id":1,"name":"ada"}' });
    expect((await body("/users/1/")).status).toBe(404);
  });

  it("405 carries Allow, HEAD answers a GET route without a body, OPTIONS * is 204, and the connection stays open", async () => {
    const ex = await exchange(
      app.port,
      [
        "DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          "HEAD /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n" +
          "OPTIONS /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" +
          get("/users/2"),
      ],
      { responses: 5 },
    );
    const { responses, rest } = parseResponses(ex.data, [1]);
    expect(rest).toBe("");
    expect(responses.map((r) => r.status)).toEqual([405, 200, 204, 405, 200]);
    expect(responses[0].headers.allow).toBe("GET, HEAD");
    expect(responses[0].body).toBe('{"error":"Method Not Allowed"}');
    expect(responses[1].headers["content-type"]).toBe("application/json");
    expect(responses[1].headers["content-length"]).toBe(String('{"id":1,"name":"ada"}'.length));
    expect(responses[4].body).toBe('{"id":2,"name":"grace"}');
    expect(ex.closed).toBe(false);
  });

  it("routes.json records each parameter's type, as the page says", async () => {
    const dir = await compilePage("routing.md", ["app.ts", "admin.ts"]);
    const routes = readRoutesJson(path.join(dir, ".catzilla")).routes;
    const byPath = (p: string) => routes.find((r) => r.path === p)!;
    expect(byPath("/users/:id(int)").paramTypes).toEqual([{ type: "int" }]);
    expect(byPath("/feed/:format(rss|atom)").paramTypes).toEqual([{ type: "enum", values: ["rss", "atom"] }]);
    expect(byPath("/admin/users/:id(int)").method).toBe("DELETE");
    expect(byPath("/cache").method).toBe("PURGE");
  });
});
