// A handler that throws, rejects or returns something unsendable harms only its own request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { exchange, get, parseResponses } from "../helpers/raw.js";

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla");
});
afterAll(async () => {
  await app?.stop();
});

// Log lines (JSON, one per message) that mention `needle`: the error's message is also in its stack.
const countOf = (s: string, needle: string) => s.split("\n").filter((l) => l.includes(needle)).length;

describe("handler failures", () => {
  it.each([
    ["/throw", "sync boom"],
    ["/reject", "async boom"],
    ["/cycle", "circular"],
    ["/bigint", "BigInt"],
  ])("%s is a 500 JSON error, logged once, and the next request is served", async (path, logged) => {
    const before = countOf(app.stderr(), logged);
    const res = await fetch(app.url + path);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ error: "Internal Server Error" });
    const ok = await fetch(app.url + "/sync");
    expect(ok.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(countOf(app.stderr(), logged)).toBe(before + 1);
  });

  it("HttpError sets the status and message, and is not logged as a failure", async () => {
    const res = await fetch(app.url + "/teapot");
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ error: "I'm a teapot" });
    expect(app.stderr()).not.toContain("teapot");
  });

  it("a failure in a pipelined batch leaves its neighbours untouched", async () => {
    const r = await exchange(app.port, [get("/sync") + get("/throw") + get("/reject") + get("/text")], {
      responses: 4,
    });
    const { responses } = parseResponses(r.data);
    expect(responses.map((x) => x.status)).toEqual([200, 500, 500, 200]);
    expect(responses[3].body).toBe("hello, world");
    expect(r.closed).toBe(false);
  });

  it("a header value carrying CR LF is refused (500), never written as a header", async () => {
    const r = await exchange(app.port, [get("/inject/a%0D%0ASet-Cookie:%20pwned=1")], { responses: 1 });
    const [res] = parseResponses(r.data).responses;
    expect(res.status).toBe(500);
    expect(r.data).not.toMatch(/set-cookie/i);
    const ok = await fetch(app.url + "/inject/fine");
    expect(ok.headers.get("x-echo")).toBe("fine");
  });

  it("a status outside 200..599 from a handler is a 500", async () => {
    expect((await fetch(app.url + "/status/404")).status).toBe(404);
    for (const code of ["101", "1000", "42"]) expect((await fetch(app.url + "/status/" + code)).status).toBe(500);
  });
});
