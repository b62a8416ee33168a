/**
 * Typed params on the wire: C rejects a segment that does not fit the param's type before
 * any JS runs (404), so the handler never sees it; the handler's own counter proves it.
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
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

  it("int and number params reach the handler as numbers", async () => {
    expect(await (await fetch(`${app.url}/u/42`)).text()).toBe("43");
    expect(await (await fetch(`${app.url}/n/1.5`)).text()).toBe("3");
    expect(await (await fetch(`${app.url}/n/-7/more`)).text()).toBe("-7");
    expect(await (await fetch(`${app.url}/s/abc`)).text()).toBe("abc");
  });
});
