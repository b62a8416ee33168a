/**
 * Watch mode and `catzilla dev`, end to end: a real watcher and a real dev server in a child
 * process, driven by editing files on disk and checked over HTTP (127.0.0.1 only). One
 * keep-alive connection, opened before the first change, must serve every step.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileApp, ROOT } from "./helpers/app.js";
import { get, start, until, write, type Reply } from "./helpers/dev.js";

const TMP = join(ROOT, "test", ".tmp");

describe("catzilla dev", () => {
  const dir = join(TMP, `dev-${process.pid}`);
  const app = join(dir, "app.ts");
  let dev: Proc;
  let port = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const slowAgent = new http.Agent({ keepAlive: false });
  const ports = new Set<number>();
  const hit = async (path: string, ok: (r: Reply) => boolean) => {
    const r = await until(agent, port, path, ok);
    ports.add(r.localPort);
    return r;
  };

  const appText = (hello: string, extra = "") => `import { Catzilla } from "catzilla";
import "./routes/items.js";
import { app } from "./instance.js";
export { app };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

app.get("/hello/:name", (req) => ({ hello: req.params.name, says: ${JSON.stringify(hello)} }));
app.get("/cpu", (req) => ({ says: ${JSON.stringify(hello)}, path: req.path }), { blocking: true });
app.get("/slow", async () => {
  await sleep(1500);
  return { says: ${JSON.stringify(hello)} };
});
${extra}
void Catzilla;
`;

  beforeAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    write(join(dir, "instance.ts"), `import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\n`);
    write(
      join(dir, "routes", "items.ts"),
      `import { app } from "../instance.js";\napp.get("/items", () => ["a", "b"]);\n`,
    );
    write(app, appText("v1", `app.get("/gone", (req) => req.path);`));
    dev = start([join(ROOT, "bin", "catzilla.js"), "dev", app, "--port", "0", "--quiet"]);
    const line = await dev.waitLine(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 0, 110_000);
    port = Number(/:(\d+)$/.exec(line)![1]);
  });

  afterAll(async () => {
    agent.destroy();
    slowAgent.destroy();
    await dev?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("serves the first version over one keep-alive connection", async () => {
    const r = await hit("/hello/cat", () => true);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ hello: "cat", says: "v1" });
    expect((await hit("/gone", () => true)).body).toBe("/gone");
    expect(JSON.parse((await hit("/items", () => true)).body)).toEqual(["a", "b"]);
    expect(JSON.parse((await hit("/cpu", () => true)).body)).toEqual({ says: "v1", path: "/cpu" }); // worker pool
  });

  test("a changed handler is served without a restart; a request in flight finishes on the old code", async () => {
    const from = dev.lines.length;
    const slow = get(slowAgent, port, "/slow"); // async, sleeps 1.5 s in the v1 handler
    await new Promise((r) => setTimeout(r, 200));
    write(app, appText("v2", `app.get("/gone", (req) => req.path);`));
    const r = await hit("/hello/cat", (x) => x.body.includes('"v2"'));
    expect(JSON.parse(r.body)).toEqual({ hello: "cat", says: "v2" });
    expect(JSON.parse((await slow).body)).toEqual({ says: "v1" });
    // A blocking route runs on the new version's worker pool (its own copy of the modules).
    expect(JSON.parse((await hit("/cpu", (x) => x.body.includes('"v2"'))).body)).toEqual({ says: "v2", path: "/cpu" });
    expect(JSON.parse((await get(slowAgent, port, "/slow")).body)).toEqual({ says: "v2" });
    expect(await dev.waitLine(/rebuilt in \d+ ms: no route changes/, from)).toMatch(/serving v\d+/);
  });

  test("an added route answers, a removed one is 404, and the rebuild line says so", async () => {
    const from = dev.lines.length;
    write(app, appText("v3", `app.post("/added/:id", (req) => ({ id: req.params.id }));`));
    const post = await (async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const x = await get(agent, port, "/added/7", "POST");
        ports.add(x.localPort);
        if (x.status === 200 || Date.now() > deadline) return x;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    expect(post.status).toBe(200);
    expect(JSON.parse(post.body)).toEqual({ id: "7" });
    expect((await hit("/gone", (x) => x.status === 404)).status).toBe(404);
    expect((await get(agent, port, "/added/7")).status).toBe(405);
    const line = await dev.waitLine(/rebuilt in \d+ ms: .*\+POST \/added\/:id/, from);
    expect(line).toContain("-GET /gone");
    expect(line).toContain("new route table");
  }, 60_000);

  test("a compile error keeps the old version serving and prints the diagnostic; the next good save recovers", async () => {
    write(app, appText("v4", `app.get("/broken", (req) => req.notAMember.x);`));
    const deadline = Date.now() + 30_000;
    // The diagnostics and the "build failed" line after them may arrive in separate reads.
    while (!/build failed/.test(dev.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(dev.stderr()).toMatch(/app\.ts:14:\d+ - error CZ1006: TS2339: Property 'notAMember'/);
    expect(dev.stderr()).toMatch(/build failed \(1 error\).*the previous version stays/);
    expect(dev.stderr()).toContain("req.notAMember.x"); // the code frame
    const old = await hit("/hello/cat", () => true);
    expect(JSON.parse(old.body).says).toBe("v3");
    expect((await get(agent, port, "/broken")).status).toBe(404);

    write(app, appText("v5", `app.get("/fixed", () => "fixed" as string);`));
    expect(JSON.parse((await hit("/hello/cat", (x) => x.body.includes('"v5"'))).body).says).toBe("v5");
    expect((await hit("/fixed", (x) => x.status === 200)).body).toBe("fixed");
  }, 60_000);

  test("renaming a route module (and its import) works", async () => {
    const from = dev.lines.length;
    fs.renameSync(join(dir, "routes", "items.ts"), join(dir, "routes", "things.ts"));
    fs.writeFileSync(
      join(dir, "routes", "things.ts"),
      `import { app } from "../instance.js";\napp.get("/things", () => ["x"]);\n`,
    );
    write(app, appText("v6", `app.get("/fixed", () => "fixed" as string);`).replace("./routes/items.js", "./routes/things.js"));
    expect(JSON.parse((await hit("/things", (x) => x.status === 200)).body)).toEqual(["x"]);
    expect((await hit("/items", (x) => x.status === 404)).status).toBe(404);
    await dev.waitLine(/\+GET \/things.*-GET \/items|-GET \/items.*\+GET \/things/, from);
  }, 60_000);

  test("a route with a request schema is validated in dev too", async () => {
    const route = `app.get("/double", (req: import("catzilla").Request<"/double", { query: { n: number } }>) => req.query.n * 2);`;
    write(app, appText("v7", route).replace("./routes/items.js", "./routes/things.js"));
    expect((await hit("/double?n=21", (x) => x.status === 200)).body).toBe("42");
    const bad = await hit("/double?n=x", () => true);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).errors).toEqual([{ path: "query.n", expected: "number", message: "must be a number" }]);
  }, 60_000);

  test("middleware: a save that changes only a middleware is served at once; a 500 shows the error (dev mode)", async () => {
    const group = (v: string) =>
      `app.group("/mw", (r) => {\n` +
      `  r.use((req, next) => { const res = next(); return { mw: ${JSON.stringify(v)}, inner: res.status }; });\n` +
      `  r.get("/x", () => "x");\n` +
      `  r.get("/boom", () => { throw new Error("dev boom"); });\n` +
      `});\n` +
      `app.get("/devboom", () => { throw new Error("dev boom"); });`;
    const base = (v: string) => appText("v8", group(v)).replace("./routes/items.js", "./routes/things.js");
    write(app, base("m1"));
    expect(JSON.parse((await hit("/mw/x", (x) => x.body.includes('"m1"'))).body)).toEqual({ mw: "m1", inner: 200 });
    write(app, base("m2"));
    expect(JSON.parse((await hit("/mw/x", (x) => x.body.includes('"m2"'))).body)).toEqual({ mw: "m2", inner: 200 });
    // The middleware sees the error's answer; catzilla dev listens with { dev: true }.
    expect(JSON.parse((await hit("/mw/boom", () => true)).body)).toEqual({ mw: "m2", inner: 500 });
    const boom = await hit("/devboom", () => true);
    expect(boom.status).toBe(500);
    const body = JSON.parse(boom.body) as { error: string; message: string; stack: string };
    expect(body).toMatchObject({ error: "Internal Server Error", message: "dev boom" });
    expect(body.stack).toContain("dev boom");
  }, 60_000);

  test("every step went over the one keep-alive connection opened before the first change", () => {
    expect(ports.size).toBe(1);
    expect(dev.child.exitCode).toBe(null);
  });

  test("SIGTERM stops it and removes what dev mode wrote (<out>/dev); the build itself stays", async () => {
    const devDir = join(dir, ".catzilla", "dev");
    expect(fs.readdirSync(devDir)).toEqual([expect.stringMatching(/^v\d+$/)]);
    agent.destroy();
    expect(await dev.stop("SIGTERM")).toBe(0);
    expect(fs.existsSync(devDir)).toBe(false);
    expect(fs.existsSync(join(dir, ".catzilla", "dispatch.js"))).toBe(true);
  });
});

describe("catzilla-compile --watch", () => {
  const dir = join(TMP, `watch-${process.pid}`);
  const app = join(dir, "app.ts");
  let w: Proc;

  beforeAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    write(app, `import { Catzilla } from "catzilla";\nexport const app = new Catzilla();\napp.get("/a", (req) => req.path);\n`);
  });
  afterAll(async () => {
    await w?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("rebuilds on save with one line per rebuild; a failed build writes nothing", async () => {
    w = start([join(ROOT, "bin", "catzilla-compile.js"), app, "--out", join(dir, ".catzilla"), "--watch", "--quiet"]);
    await w.waitLine(/compiled in \d+ ms: 1 route/, 0, 110_000);
    const dispatch = join(dir, ".catzilla", "dispatch.js");
    expect(fs.readFileSync(dispatch, "utf8")).toContain('"/a"');

    let from = w.lines.length;
    fs.appendFileSync(app, `app.get("/b", async () => 1);\n`);
    expect(await w.waitLine(/rebuilt in \d+ ms: \+GET \/b \(async\)/, from)).toMatch(/files? written/);
    expect(fs.readFileSync(dispatch, "utf8")).toContain('"/b"');

    const before = fs.readFileSync(dispatch, "utf8");
    fs.appendFileSync(app, `app.get("/c", (req) => req.missing);\n`);
    const deadline = Date.now() + 30_000;
    while (!/build failed/.test(w.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(w.stderr()).toMatch(/app\.ts:5:\d+ - error CZ1006/);
    expect(fs.readFileSync(dispatch, "utf8")).toBe(before);

    from = w.lines.length;
    fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("req.missing", "req.path"));
    expect(await w.waitLine(/rebuilt in \d+ ms: \+GET \/c \(sync\)/, from)).toBeTruthy();

    from = w.lines.length;
    fs.writeFileSync(app, fs.readFileSync(app, "utf8").replace("async () => 1", "(req) => req.path.length"));
    expect(await w.waitLine(/rebuilt in \d+ ms: GET \/b async→sync/, from)).toBeTruthy();

    // What the watcher wrote is byte for byte what a cold compile writes.
    await w.stop();
    const names = ["dispatch.js", "server.js", "routes.c", "routes.h", "routes.json", "routes.so"];
    const watched = names.map((n) => fs.readFileSync(join(dir, ".catzilla", n)));
    const cold = compileApp([app], join(dir, ".catzilla"));
    expect(cold.status, cold.stderr).toBe(0);
    names.forEach((n, i) => expect(fs.readFileSync(join(dir, ".catzilla", n)).equals(watched[i]), n).toBe(true));
  }, 90_000);
});
