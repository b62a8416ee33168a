// A stand-in for build/Release/catzilla.node (loaded through CATZILLA_NATIVE): it keeps the
// options createServer gets, so bench/hotpath/run.mjs can call the runtime's batch loop
// directly, without sockets, C or wrk. Async answers are only counted.
"use strict";
const state = { opts: undefined, answered: 0 };
module.exports = {
  state,
  createServer(opts) {
    state.opts = opts;
    return { fake: true };
  },
  listen: () => 1,
  respondMany(_h, _meta, n) {
    state.answered += n;
    return n;
  },
  respond: () => true,
  close(_h, _grace, cb) {
    setImmediate(cb);
    return true;
  },
  stats: () => ({ connections: 0, inflight: 0 }),
  swapTable: () => 1,
};
