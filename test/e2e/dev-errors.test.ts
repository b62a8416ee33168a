// listen({ dev: true }): a 500's body carries the error's message and stack; without it, never.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";

let dev: RunningApp;
let prod: RunningApp;
beforeAll(async () => {
  [dev, prod] = await Promise.all([serve("test/fixtures/e2e/.catzilla", { dev: true }), serve("test/fixtures/e2e/.catzilla")]);
});
afterAll(async () => {
  await Promise.all([dev?.stop(), prod?.stop()]);
});

describe("dev error bodies", () => {
  it.each([
    ["/throw", "sync boom"],
    ["/reject", "async boom"],
  ])("%s in dev mode: 500 with message and stack; the next request is served", async (path, message) => {
    const res = await fetch(dev.url + path);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string; stack: string };
    expect(body.error).toBe("Internal Server Error");
    expect(body.message).toBe(message);
    expect(body.stack).toContain(message);
    expect(body.stack).toMatch(/app\.(js|ts)/);
    expect((await fetch(dev.url + "/sync")).status).toBe(200);
  });

  it("without dev, the same error's body names neither message nor stack", async () => {
    const res = await fetch(prod.url + "/throw");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: "Internal Server Error" });
    expect(text).not.toContain("boom");
  });

  it("an HttpError is the same in both", async () => {
    for (const a of [dev, prod]) {
      const res = await fetch(a.url + "/teapot");
      expect(res.status).toBe(418);
      expect(await res.json()).toEqual({ error: "I'm a teapot" });
    }
  });
});
