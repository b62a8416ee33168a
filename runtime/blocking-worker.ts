/**
 * A blocking-pool worker (see blocking.ts): imports the app's route modules, binds the
 * blocking routes as the server does (bind.ts), and runs one job per message on a real
 * Request rebuilt from the request's copy, answering `{ job, status, head, body, error? }`
 * (the body's buffer transferred; `error`: a failure for the main thread to log).
 */
import { parentPort, workerData } from "node:worker_threads";
import { HttpError } from "./response.js";
import { serializeError } from "./log.js";
import { registeredRoutes } from "./app.js";
import { matchHandlers, paramSpecs } from "./bind.js";
import type { BlockingWorkerData } from "./blocking.js";
import { ANSWERED, Request, type RequestCopy } from "./request.js";
import { bufferedResponse, isWebResponse } from "./result-object.js";
import { encodeError, encodeResult, type Encoded } from "./writer.js";

const { moduleUrls, routes, serializersUrl } = workerData as BlockingWorkerData;
for (const url of moduleUrls) await import(url);
/** serializers.js: `out<id>` for each route whose result is serialized by its type. */
const serializers: Record<string, ((v: unknown) => unknown) | undefined> =
  serializersUrl === undefined ? {} : await import(serializersUrl);

const { handlers } = matchHandlers(routes, registeredRoutes());
const specs = paramSpecs(routes);
const byId = new Map<number, number>(); // route id → index in routes
const outs = routes.map((route) => serializers[`out${route.id}`]);
routes.forEach((route, k) => {
  if (handlers[k] === undefined) {
    throw new Error(`catzilla: blocking route ${route.method} ${route.path} is not registered in the worker`);
  }
  byId.set(route.id, k);
});

parentPort!.postMessage({ ready: true });

parentPort!.on("message", async (m: { job: number; route: number; req: RequestCopy }) => {
  const k = byId.get(m.route);
  const req = Request.fromCopy(m.req, k === undefined ? { names: [] } : specs[k]);
  let e: Encoded;
  let error: Record<string, unknown> | undefined;
  try {
    if (k === undefined) throw new Error(`catzilla: route id ${m.route} is not a blocking route`);
    let result: unknown = await handlers[k]!(req);
    // A Web Response's body is read here: the answer crosses to the main thread as bytes.
    if (isWebResponse(result)) result = await bufferedResponse(result);
    const out = outs[k];
    e = encodeResult(out === undefined ? result : out(result));
    // A stream is sent from the main thread's loop; a worker's result crosses as bytes.
    if (e.stream !== undefined) throw new TypeError("catzilla: a blocking handler cannot return a stream");
  } catch (err) {
    // Logged by the main thread, through the server's logger (a worker has none).
    if (!(err instanceof HttpError)) error = serializeError(err);
    e = encodeError(err);
  }
  // Answered: a background task the handler left reads the same error as on the main thread.
  req[ANSWERED]();
  const body = typeof e.body === "string" ? Buffer.from(e.body) : e.body;
  const copy = new Uint8Array(body); // a transferable buffer of its own
  parentPort!.postMessage({ job: m.job, status: e.status, head: e.head, body: copy, error }, [copy.buffer]);
});
