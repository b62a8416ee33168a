/** The pure parts of listen({ workers }): how many loops, and what a worker listens with. */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ServerLog } from "../../runtime/log.js";
import { loopCount, workerOptions } from "../../runtime/workers.js";

/** A ServerLog whose warnings land in `warnings`. */
function capture(warnings: string[]): ServerLog {
  const logger = { error() {}, info() {}, debug() {}, warn: (_o: object, m: string) => warnings.push(m), child: () => logger };
  return new ServerLog(logger as never);
}

describe("loopCount", () => {
  it("is 1 by default, N for a positive integer, available parallelism for auto", () => {
    expect(loopCount(undefined)).toBe(1);
    expect(loopCount(1)).toBe(1);
    expect(loopCount(6)).toBe(6);
    expect(loopCount("auto")).toBe(availableParallelism());
  });

  it("refuses anything else with a TypeError naming the value", () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, "2", "all", null]) {
      expect(() => loopCount(bad as never), String(bad)).toThrow(TypeError);
    }
    expect(() => loopCount(0)).toThrow('workers must be a positive integer or "auto" (got 0)');
  });
});

describe("workerOptions", () => {
  it("binds the main thread's port with SO_REUSEPORT, one loop, no signal handlers", () => {
    const o = workerOptions({ port: 0, host: "::1", workers: 4, handleSignals: true, health: "/hz", maxBodyBytes: 10 }, 4321, capture([]));
    expect(o).toEqual({ port: 4321, host: "::1", workers: 1, reusePort: true, handleSignals: false, health: "/hz", maxBodyBytes: 10 });
  });

  it("leaves out what cannot reach a thread (functions, loggers), with one warning naming them", () => {
    const warnings: string[] = [];
    const logger = { info() {}, child() {} };
    const o = workerOptions({ port: 1, logger, onError: () => {} } as never, 9, capture(warnings));
    expect(o).toEqual({ port: 9, workers: 1, reusePort: true, handleSignals: false });
    expect(warnings).toEqual(["workers: listen option(s) logger, onError cannot be sent to worker threads; workers use the defaults"]);
  });
});
