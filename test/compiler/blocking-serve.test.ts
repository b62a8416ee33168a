/**
 * Blocking routes keep the loop free: p99 latency of a light route while a 50 ms CPU-bound
 * route is hammered, with `{ blocking: true }` (worker pool) and without (control: the same
 * work on the loop).
 */
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { serve, type RunningApp } from "../helpers/app.js";
import { copyFixture } from "./helpers.js";

describe("blocking routes on the worker pool", () => {
  let app: RunningApp;
  beforeAll(async () => {
    const dir = copyFixture("blocking-serve");
    const r = await compile({ entries: ["app.ts"], outDir: ".catzilla", cwd: dir });
    expect(r.ok).toBe(true);
    app = await serve(path.join(dir, ".catzilla"));
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  /** p99 of /light (ms) while `hammer` is requested by 4 concurrent loops for `ms`. */
  async function p99Under(hammer: string, ms: number): Promise<number> {
    const until = Date.now() + ms;
    const loops = Array.from({ length: 4 }, async () => {
      while (Date.now() < until) {
        const res = await fetch(app.url + hammer);
        await res.text();
        expect(res.status).toBe(200);
      }
    });
    const lat: number[] = [];
    while (Date.now() < until) {
      const t = performance.now();
      expect(await (await fetch(app.url + "/light")).text()).toBe("/light");
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(loops);
    lat.sort((a, b) => a - b);
    return lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))];
  }

  it("the CPU-bound route answers from a worker", async () => {
    const res = await fetch(app.url + "/cpu");
    expect(await res.json(), app.stderr()).toEqual({ n: true, p: "/cpu" });
  });

  it("p99 of the light route stays low with { blocking: true }, and is not without it", async () => {
    const pooled = await p99Under("/cpu", 1500);
    const onLoop = await p99Under("/cpu-on-loop", 1500);
    expect(onLoop).toBeGreaterThan(45); // control: 50 ms of work on the loop delays everyone
    expect(pooled).toBeLessThan(onLoop / 2);
  }, 30_000);
});
