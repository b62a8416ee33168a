// Smuggler-style mutations of Transfer-Encoding and Content-Length (smuggle-cases.mjs), each
// in front of a pipelined request: no desync, no acceptance where RFC 9112 requires a
// refusal, and every valid spelling still served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { send, stillServes } from "./helpers.js";
// @ts-ignore -- plain ESM shared with bench/conformance/smuggle.mjs
import { observe, probes, verdict } from "./smuggle-cases.mjs";

interface Probe {
  id: string;
  bytes: string;
  expect: string[];
}

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 3000 });
});
afterAll(async () => {
  await app?.stop();
});

describe("request smuggling probes", () => {
  const all = probes() as Probe[];
  it("covers Transfer-Encoding alone, beside Content-Length, and Content-Length alone", () => {
    expect(all.filter((p) => p.id.startsWith("TE ")).length).toBeGreaterThan(30);
    expect(all.filter((p) => p.id.startsWith("TE+CL ")).length).toBeGreaterThan(30);
    expect(all.filter((p) => p.id.startsWith("CL ")).length).toBeGreaterThan(20);
  });

  it.concurrent.for(all)("$id", async (probe, { expect }) => {
    // A refusal closes at once; an acceptance answers both requests; a hang shows as silence.
    const out = await send(app.port, probe.bytes, "whole", { idleMs: 500, responses: 2 });
    const observed = observe(probe, out.responses, out.closed) as string;
    expect(verdict(probe, observed), `observed ${observed}; RFC 9112: ${probe.expect.join(" or ")}`).toBe("ok");
  });

  it("the server still serves after every probe", async () => {
    await stillServes(expect, app.port);
    expect(app.child.exitCode).toBeNull();
  });
});
