/**
 * What a handler's request shows: its public members only. The runtime's own state
 * (answered, holding the arena, ctx/gen, the copy) is keyed by request.ts's symbols.
 */
import { describe, expect, it } from "vitest";
import * as abi from "../../runtime/abi.js";
import { ANSWERED, CTX, DETACH, DONE, GEN, HELD, paramSpec, Request, type ArenaClock } from "../../runtime/request.js";

/** One GET request for `url` at offset 8 of a fresh arena, with ctx 3 and gen 9. */
function requestFor(url: string, params: [number, number][] = []) {
  const data = Buffer.alloc(256);
  data.write(url, 8, "latin1");
  const meta = new Int32Array(abi.REQ_STRIDE);
  meta[abi.REQ_CTX] = 3;
  meta[abi.REQ_GEN] = 9;
  meta[abi.REQ_METHOD] = abi.METHOD_NAMES.indexOf("GET");
  meta[abi.REQ_URL_OFF] = 8;
  meta[abi.REQ_URL_LEN] = url.length;
  meta[abi.REQ_PATH_LEN] = url.includes("?") ? url.indexOf("?") : url.length;
  meta[abi.REQ_HDR_OFF] = -1;
  meta[abi.REQ_NPARAMS] = params.length;
  params.forEach(([s, l], k) => {
    meta[abi.REQ_PARAMS + 2 * k] = s;
    meta[abi.REQ_PARAMS + 2 * k + 1] = l;
  });
  const clock: ArenaClock = { batch: 1 };
  const req = new Request(data, meta, 0, undefined, paramSpec(["id"], ["int"]), clock);
  return { req, data, clock };
}

describe("Request", () => {
  it("exposes no runtime state by name, in keys, for…in or JSON", () => {
    const { req } = requestFor("/u/42?x=1", [[3, 2]]);
    for (const name of ["done", "held", "ctx", "gen", "rawBody", "detach"]) expect(name in req, name).toBe(false);
    const visible: string[] = [];
    for (const k in req) visible.push(k);
    expect(visible).toEqual([]);
    expect(Object.getOwnPropertyNames(req)).toEqual([]);
    expect(JSON.parse(JSON.stringify(req))).toEqual({ method: "GET", url: "/u/42?x=1", params: { id: 42 } });
    expect([req[CTX], req[GEN], req[DONE], req[HELD]]).toEqual([3, 9, false, false]);
  });

  it("DETACH copies the request out of the arena (once); the copy rebuilds the same request", () => {
    const { req, data, clock } = requestFor("/u/42?x=1", [[3, 2]]);
    const copy = req[DETACH]();
    expect(req[DETACH]()).toEqual(copy); // a second call keeps the first copy
    data.fill(0); // the next batch overwrites the arena…
    clock.batch++;
    expect([req.path, req.query, req.params, req[CTX]]).toEqual(["/u/42", { x: "1" }, { id: 42 }, 3]); // …the copy is read
    const again = Request.fromCopy(copy, paramSpec(["id"], ["int"]));
    expect([again.method, again.url, again.params]).toEqual(["GET", "/u/42?x=1", { id: 42 }]);
  });

  it("read after its batch without a copy, a request throws instead of showing another's bytes", () => {
    const { req, clock } = requestFor("/u/1", [[3, 1]]);
    clock.batch++;
    expect(() => req.path).toThrow(/read after the request was answered/);
  });

  it("answered, a request throws at once, cached members and copies included, and a later DETACH does not reopen it", () => {
    const { req } = requestFor("/u/7?x=1", [[3, 1]]);
    expect(req.params).toEqual({ id: 7 }); // cached now
    req[DETACH](); // an async request's copy
    req[ANSWERED]();
    for (const read of [() => req.params, () => req.query, () => req.path, () => req.text(), () => req.stream()]) {
      expect(read).toThrow(/read after the request was answered/);
    }
    req[DETACH]();
    expect(() => req.url).toThrow("catzilla: req.url read after the request was answered");
    expect(req.signal.aborted).toBe(false); // not a view of the arena: still readable
    expect(req[CTX]).toBe(3); // the runtime's own reads go on
  });
});
