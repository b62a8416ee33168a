// A request is valid while its handler runs and closed once it is answered: a background
// task that reads it later gets the same error every time, whether or not other requests
// came in meanwhile (README, "The request is a view…"); what it copied first stays valid.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileOrThrow, serve, type RunningApp } from "../helpers/app.js";

const OUT = "test/fixtures/reqlife/.catzilla";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The members fixture's probe() reads, and the name each one's error gives. */
const MEMBERS = [
  "method", "path", "url", "id", "ip", "protocol", "host", "params", "query", "searchParams",
  "headers", "cookies", "text()", "json()", "bytes()", "stream()", "formData()", "form()",
];
const closed = (member: string) =>
  `catzilla: req.${member} read after the request was answered; copy what a background task needs before the handler returns`;
/** What a probe of an answered request reports: every member's error; `signal` alone stays readable. */
const ALL_CLOSED = { ...Object.fromEntries(MEMBERS.map((m) => [m, closed(m)])), signal: "ok" };

let app: RunningApp;
beforeAll(async () => {
  // Only this file serves this app, so it is compiled here rather than in global-setup.
  compileOrThrow(["test/fixtures/reqlife/app.ts"], OUT);
  app = await serve(OUT);
});
afterAll(async () => {
  await app?.stop();
});

const get = (path: string, tag = "t") => fetch(app.url + path, { headers: { "X-Tag": tag, Cookie: "a=1" } });
const result = async (key: string) => (await (await fetch(`${app.url}/results/${encodeURIComponent(key)}`)).json()) as unknown;
/** Requests to other routes, each a batch of its own over the shared arena. */
const others = async (n: number) => {
  for (let k = 0; k < n; k++) await (await get(`/results/none-${k}?q=other`, "other")).text();
};

describe("a request read after its answer", () => {
  for (const [label, traffic] of [
    ["with no other request in between", 0],
    ["with other requests in between", 5],
  ] as const) {
    describe(label, () => {
      it("a sync handler's timer and microtask get the error, cached members included", async () => {
        for (let round = 0; round < 3; round++) {
          const key = `sync-${traffic}-${round}`;
          expect(await (await get(`/sync/${key}?q=1`)).text()).toBe("answered");
          await others(traffic);
          await sleep(100);
          expect(await result(`${key}:microtask`)).toEqual(ALL_CLOSED);
          expect(await result(`${key}:timeout`)).toEqual(ALL_CLOSED);
        }
      });

      it("an async handler's timer gets the error once its promise settled", async () => {
        for (let round = 0; round < 3; round++) {
          const key = `async-${traffic}-${round}`;
          expect(await (await get(`/async/${key}?q=1`)).json()).toEqual({ answered: key });
          await others(traffic);
          await sleep(100);
          expect(await result(`${key}:timeout`)).toEqual(ALL_CLOSED);
        }
      });

      it("a typed form route's timer gets the error, form() included (its checked body is cached)", async () => {
        const key = `form-${traffic}`;
        const res = await fetch(`${app.url}/form/${key}`, { method: "POST", body: new URLSearchParams({ name: "Ada" }) });
        expect(await res.json()).toEqual({ name: "Ada" });
        await others(traffic);
        await sleep(100);
        expect(await result(`${key}:timeout`)).toEqual(ALL_CLOSED);
      });

      it("a middleware's timer gets the error once the chain answered", async () => {
        const key = `mw-${traffic}`;
        expect(await (await get(`/mw/${key}`)).json()).toEqual({ mw: key });
        await others(traffic);
        await sleep(100);
        expect(await result(`${key}:mw`)).toEqual(ALL_CLOSED);
      });

      it("what a handler copied before answering stays valid", async () => {
        const key = `copy-${traffic}`;
        expect(await (await get(`/copy/${key}?q=mine`, "mine")).text()).toBe("copied");
        await others(traffic);
        await sleep(100);
        expect(await result(`${key}:copy`)).toEqual({ key, q: "mine", tag: "mine", m: "GET" });
      });
    });
  }

  it("a streamed response's source reads its request while it streams; the request closes when the stream ends", async () => {
    const res = await get("/streamed/st", "streaming");
    await others(3); // later batches while the source still runs
    expect(await res.text()).toBe("first,st,streaming");
    await sleep(150);
    expect(await result("st:after-stream")).toEqual(ALL_CLOSED);
  });

  it("a streaming upload is read by the response's source after the handler returned", async () => {
    const body = Buffer.alloc(300_000, "u");
    const res = await fetch(app.url + "/echo", { method: "POST", body });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  });
});

describe("handlers whose result is typed unknown (issue 12)", () => {
  it("are compiled maybe and async and sent as JSON", async () => {
    const routes = JSON.parse(readFileSync(`${OUT}/routes.json`, "utf8")) as { routes: { path: string; kind: string }[] };
    const kinds = Object.fromEntries(routes.routes.map((r) => [r.path, r.kind]));
    expect([kinds["/unknown"], kinds["/unknown-async"]]).toEqual(["maybe", "async"]);
    for (const [path, body] of [
      ["/unknown", { a: [1, "two", null] }],
      ["/unknown-async", { b: true }],
    ] as const) {
      const res = await fetch(app.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual(body);
    }
  });
});
