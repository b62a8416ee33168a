/**
 * The main thread's side of the blocking pool (blocking.ts): a `{ blocking: true }` route's
 * request leaves its batch pending, takes its own copy of its bytes (a worker cannot read
 * the shared arena), runs on the pool, and is answered through the answer queue.
 */
import { requestFields, type Answers } from "./answers.js";
import { deserializeError, type ServerLog } from "./log.js";
import type { BlockingPool } from "./blocking.js";
import type { RuntimeHooks } from "./bind.js";
import { DETACH } from "./request.js";
import { responseFromHead } from "./response.js";
import { putPending } from "./writer.js";

/**
 * The blocking hook of one app version. `pool` is read per request: a version's pool is
 * started after its dispatch is built, and a version without blocking routes has none.
 */
export function blockingHook(
  pool: () => BlockingPool | undefined,
  resMeta: Int32Array,
  answers: Answers,
  log: ServerLog,
): RuntimeHooks["blocking"] {
  return (i, req, route) => {
    const p = pool();
    if (p === undefined) throw new Error(`catzilla: route id ${route} is blocking but no pool is running`);
    putPending(resMeta, i);
    // The copy holds what C captured for this route: headers and body only when the
    // compiler saw the handler read them.
    p.run(route, req[DETACH]()).then(
      (r) => {
        if (r.error !== undefined) log.handlerError(requestFields(req), deserializeError(r.error));
        answers.answer(req, r);
      },
      (err) => answers.fail(req, err),
    );
  };
}

/**
 * A blocking route's handler as the innermost link of its middleware chain: the request's
 * copy runs on the pool and the promise resolves with the response the worker encoded
 * (the chain itself runs on the main thread, composed async).
 */
export function onPool(pool: () => BlockingPool | undefined): RuntimeHooks["onPool"] {
  return (route) => (req) => {
    const p = pool();
    if (p === undefined) return Promise.reject(new Error(`catzilla: route id ${route} is blocking but no pool is running`));
    return p.run(route, req[DETACH]()).then((r) => responseFromHead(r.status, r.body, r.head));
  };
}
