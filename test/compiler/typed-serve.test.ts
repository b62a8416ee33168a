/**
 * Typed params on the wire: C rejects a segment that does not fit the param's type before
 * any JS runs (404, or 400 naming the param with `paramMismatch: 400`), so the handler never
 * sees it; the handler's own counter proves it.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";
import { copyFixture } from "./helpers.js";

let app: RunningApp;

beforeAll(async () => {
  const dir = copyFixture("typed");
  const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
  expect(r.diagnostics).toEqual([]);
  app = await serve(path.join(dir, ".catzilla"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const hits = async () => ((await (await fetch(app.url + "/hits")).json()) as { hits: number }).hits;

describe("typed params checked in C", () => {
  it("a mismatch is a 404 and the handler never runs; a match runs it", async () => {
    expect(await hits()).toBe(0);
    for (const bad of ["abc", "1.5", "1e3", "-", "99999999999999999999", "9007199254740992", "%31"]) {
      const res = await fetch(`${app.url}/count/${bad}`);
      expect(res.status, bad).toBe(404);
      await res.text();
    }
    expect(await hits()).toBe(0);
    const ok = await fetch(`${app.url}/count/12`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { hits: number }).hits).toBe(1);
    expect((await fetch(`${app.url}/count/-9007199254740991`)).status).toBe(200);
    expect(await hits()).toBe(2);
  });

  it("a failed type falls through to a sibling route", async () => {
    expect(await (await fetch(`${app.url}/u/me`)).text()).toBe("1");
    expect(await (await fetch(`${app.url}/u/bob`)).text()).toBe("BOB");
    expect(await (await fetch(`${app.url}/e/blue/x`)).text()).toBe("blue/x");
  });

  it("paramMismatch: 400 answers 400 with a JSON body naming the param; the handler never runs", async () => {
    const before = await hits();
    const ex = await exchange(
      app.port,
      [get("/strict/abc") + get("/b/7/foot") + get("/b/x/foot") + get("/v/one/a") + get("/strict/5")],
      { responses: 5 },
    );
    const { responses, rest } = parseResponses(ex.data);
    expect(rest).toBe("");
    expect(ex.closed).toBe(false);
    expect(responses.map((r) => r.status)).toEqual([400, 400, 400, 400, 200]);
    expect(responses[0].reason).toBe("Bad Request");
    expect(responses[0].headers["content-type"]).toBe("application/json");
    expect(JSON.parse(responses[0].body)).toEqual({
      error: "Bad Request",
      message: "Path parameter 'id' must be an integer.",
      param: "id",
      expected: "int",
    });
    expect(JSON.parse(responses[1].body)).toMatchObject({ param: "part", expected: "head|body" });
    expect(JSON.parse(responses[1].body).message).toBe("Path parameter 'part' must be one of: head, body.");
    expect(JSON.parse(responses[2].body)).toMatchObject({ param: "id", expected: "int" });
    expect(JSON.parse(responses[3].body)).toMatchObject({ param: "n", expected: "number" });
    // Only the last request ran a handler.
    expect(JSON.parse(responses[4].body)).toEqual({ id: 5, hits: before + 1 });
  });

  it("paramMismatch: 400 yields to any route that matches, and is per route and method", async () => {
    expect(await (await fetch(`${app.url}/b/new`)).text()).toBe("new");
    expect((await fetch(`${app.url}/b/abc`, { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${app.url}/b/abc`, { method: "POST" })).status).toBe(404);
    const head = await fetch(`${app.url}/b/abc`, { method: "HEAD" });
    expect(head.status).toBe(400);
    expect(await head.text()).toBe("");
    expect((await fetch(`${app.url}/b/7/head/more`)).status).toBe(404);
  });

  it("int and number params reach the handler as numbers", async () => {
    expect(await (await fetch(`${app.url}/u/42`)).text()).toBe("43");
    expect(await (await fetch(`${app.url}/n/1.5`)).text()).toBe("3");
    expect(await (await fetch(`${app.url}/n/-7/more`)).text()).toBe("-7");
    expect(await (await fetch(`${app.url}/s/abc`)).text()).toBe("abc");
  });
});
