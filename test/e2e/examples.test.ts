// The examples from README, compiled and served as a user would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";

describe("examples/hello", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await serve("examples/hello/.catzilla");
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("serves /sync and /async", async () => {
    expect(await (await fetch(app.url + "/sync")).json()).toEqual({ type: "sync", path: "/sync" });
    expect(await (await fetch(app.url + "/async")).json()).toEqual({ type: "async" });
  });
});

describe("examples/mixed", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await serve("examples/mixed/.catzilla");
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("a slow async route does not hold back /sync", async () => {
    const slow = Array.from({ length: 20 }, () => fetch(app.url + "/slow").then((r) => r.json()));
    await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) expect(await (await fetch(app.url + "/sync")).json()).toEqual({ type: "sync" });
    const syncElapsed = performance.now() - t0;
    // Twenty sync round trips finish while the slow requests (100 ms each) are still pending.
    expect(syncElapsed).toBeLessThan(100);
    for (const body of await Promise.all(slow)) expect(body).toEqual({ type: "slow", waited: 100 });
  });

  it("mixed sync and awaited work, with a 400 for bad input", async () => {
    expect(await (await fetch(app.url + "/mixed/4")).json()).toEqual({ n: 4, sum: 0 + 1 + 4 + 9 });
    const bad = await fetch(app.url + "/mixed/x");
    expect(bad.status).toBe(400);
  });

  it("param routes and a POST with a JSON body", async () => {
    expect(await (await fetch(app.url + "/users/1")).json()).toEqual({ id: "1", name: "Ada" });
    expect((await fetch(app.url + "/users/99")).status).toBe(404);
    const res = await fetch(app.url + "/users/7", { method: "POST", body: JSON.stringify({ name: "Grace" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: "7", name: "Grace", saved: true });
  });
});
