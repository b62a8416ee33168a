/**
 * The compiler's handler type checks: a handler typed `unknown` compiles (maybe / async, the
 * JSON fallback), and a non-function hidden behind a cast is an error at its line.
 */
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { locate, writeApp } from "./helpers.js";

describe("handler types", () => {
  it("handlers returning unknown or Promise<unknown> compile as maybe and async", async () => {
    const app = `import { Catzilla } from "catzilla";
export const app = new Catzilla();
const load = (): unknown => JSON.parse("[1]");
app.get("/u", () => load());
app.get("/p", async (): Promise<unknown> => (await fetch("http://127.0.0.1:9/")).json());
`;
    const dir = writeApp("unknown-result", { "app.ts": app });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
    expect(r.diagnostics.map((d) => [d.code, `${d.span?.line}:${d.span?.col}`])).toEqual([["CZ2001", locate(app, "() => load()")]]);
    expect(r.routes.map((x) => [x.path, x.kind])).toEqual([
      ["/u", "maybe"],
      ["/p", "async"],
    ]);
  });

  it("a non-function behind a cast is CZ1003 at its line, not a crash at start-up", async () => {
    const app = `import { Catzilla } from "catzilla";
export const app = new Catzilla();
app.get("/ok", () => 1);
app.get("/x", 42 as any);
app.get("/y", ({ a: 1 } as unknown) as () => number);
declare const f: any;
app.get("/z", f as () => number); // any underneath: cannot tell, so not an error
`;
    const dir = writeApp("cast-handler", { "app.ts": app });
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir, write: false, cc: false });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, `${d.span?.line}:${d.span?.col}`])).toEqual([
      ["CZ1003", locate(app, "42 as any")],
      ["CZ1003", locate(app, "({ a: 1 } as unknown)")],
    ]);
    expect(r.diagnostics[0].message).toContain("'42' has type '42'");
  });
});
