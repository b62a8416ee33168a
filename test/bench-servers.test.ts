// The benchmark servers (bench/) must be comparable: every one of them answers each
// benchmark route with the same status, content type and body. Starts each server briefly
// (no load), the way `npm run bench` does, minus the CPU pinning.
import { readlinkSync, realpathSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-ignore -- plain ESM helpers shared with bench/run.mjs (no type declarations)
import * as benchServers from "../bench/lib/servers.mjs";
// @ts-ignore -- idem
import * as benchProcs from "../bench/lib/procs.mjs";
// @ts-ignore -- idem (scripts/node.mjs: the pinned Node versions)
import * as nodeVersions from "../scripts/node.mjs";

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}
interface ServerDef {
  name: string;
  label: string;
  routes: string[];
}
interface Running {
  def: ServerDef;
  port: number;
  stop(): Promise<void>;
}
const S = benchServers as unknown as {
  ROUTES: Record<string, { path: string; status: number; contentType: string; body: string }>;
  serverDefs(o: { bunBin?: string; plainCBin?: string }): (ServerDef & { cmd?: string })[];
  buildPlainC(o: { install: boolean }): { bin: string; notes: string[] };
  findBun(o: { install: boolean }): { bin?: string; version?: string; missing?: string };
  compileCatzilla(entries: string[], out: string): { ok: boolean; out: string };
  startServer(def: ServerDef, o: { cpu: string | null }): Promise<Running>;
  get(port: number, path: string): Promise<Answer>;
};
const stopAll = (benchProcs as unknown as { stopAll(): Promise<unknown> }).stopAll;
const besideDefs = (benchServers as unknown as { besideDefs(bin: string, major: string): (ServerDef & { cmd: string; base: string })[] })
  .besideDefs;
const N = nodeVersions as unknown as { PINS: Record<string, string>; nodeBin(spec: string): string };

// Found (or installed into bench/.tmp/bun with `npm install --no-save bun`) at collection
// time, so a missing binary shows up as a named skip rather than a pass.
const bun = S.findBun({ install: process.env.BENCH_INSTALL_BUN !== "0" });
const BUN_SKIP = bun.missing ? ` (skipped: ${bun.missing})` : "";

describe("benchmark servers answer the same bytes", () => {
  const running = new Map<string, Running>();
  const answers = new Map<string, Map<string, Answer>>(); // route → server → answer
  const startErrors = new Map<string, string>();

  beforeAll(async () => {
    const compiled = S.compileCatzilla(["bench/app/app.ts", "bench/app/main.ts"], "bench/app/.catzilla");
    if (!compiled.ok) startErrors.set("catzilla", `catzilla-compile failed:\n${compiled.out}`);
    let plainCBin: string | undefined;
    try {
      plainCBin = S.buildPlainC({ install: false }).bin;
    } catch (err) {
      startErrors.set("plain-c", String((err as Error).message));
    }
    const defs = S.serverDefs({ bunBin: bun.bin, plainCBin }).filter((d) => !startErrors.has(d.name) && !(d.name === "bun" && bun.missing));
    await Promise.all(
      defs.map(async (d) => {
        try {
          running.set(d.name, await S.startServer(d, { cpu: null }));
        } catch (err) {
          startErrors.set(d.name, String((err as Error).message));
        }
      }),
    );
    for (const [name, s] of running) {
      for (const route of s.def.routes) {
        const a = await S.get(s.port, S.ROUTES[route].path);
        if (!answers.has(route)) answers.set(route, new Map());
        answers.get(route)!.set(name, a);
      }
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((s) => s.stop()));
    await stopAll();
  });

  const check = (name: string) => {
    expect(startErrors.get(name), `${name} did not start`).toBeUndefined();
    const s = running.get(name)!;
    expect(s.def.routes.length).toBeGreaterThanOrEqual(4);
    for (const route of s.def.routes) {
      const want = S.ROUTES[route];
      expect(answers.get(route)!.get(name), `${name} ${want.path}`).toEqual({
        status: want.status,
        contentType: want.contentType,
        body: want.body,
      });
    }
  };

  it("Catzilla (bench/app, compiled)", () => check("catzilla"));
  it("node:http", () => check("node-http"));
  it("Fastify", () => check("fastify"));
  it.skipIf(Boolean(bun.missing))(`Bun.serve${BUN_SKIP}`, () => check("bun"));
  it("plain C (libuv + llhttp)", () => check("plain-c"));

  it("every server that serves a route gives byte-identical answers to the others", () => {
    expect(answers.size).toBe(Object.keys(S.ROUTES).length);
    for (const [route, byServer] of answers) {
      const distinct = new Set([...byServer.values()].map((a) => JSON.stringify(a)));
      expect(distinct.size, `${route}: ${JSON.stringify(Object.fromEntries(byServer))}`).toBe(1);
      expect(byServer.size).toBeGreaterThanOrEqual(route === "const" ? 2 : bun.missing ? 4 : 5);
    }
  });
});

// `npm run bench -- --node 24,20` runs the Node servers again on each further Node.
describe("benchmark servers on another Node (bench/run.mjs --node)", () => {
  // A pinned Node other than the one running the tests (setup.sh installs every pin).
  const other = Object.keys(N.PINS).find((major) => major !== process.versions.node.split(".")[0])!;

  it(`Catzilla, node:http and Fastify run on Node ${other} and answer the same bytes`, async () => {
    const bin = N.nodeBin(other);
    const defs = besideDefs(bin, other);
    expect(defs.map((d) => d.base)).toEqual(["catzilla", "node-http", "fastify"]);
    const started: Running[] = [];
    try {
      for (const d of defs) {
        expect(d.name).toBe(`${d.base}@node${other}`);
        const s = await S.startServer(d, { cpu: null });
        started.push(s);
        const pid = (s as unknown as { pid: number }).pid;
        expect(realpathSync(readlinkSync(`/proc/${pid}/exe`))).toBe(realpathSync(bin));
        for (const route of d.routes) {
          const want = S.ROUTES[route];
          expect(await S.get(s.port, want.path), `${d.label} ${want.path}`).toEqual({
            status: want.status,
            contentType: want.contentType,
            body: want.body,
          });
        }
      }
    } finally {
      await Promise.all(started.map((s) => s.stop()));
    }
  }, 60_000);
});
