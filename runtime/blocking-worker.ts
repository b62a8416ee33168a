/**
 * A blocking-pool worker (see blocking.ts): imports the app's route modules, binds the
 * blocking routes by `${method} ${path}`, and runs one job per message with a plain request,
 * answering `{ job, status, head, body }` (the body's buffer transferred).
 */
import { parentPort, workerData } from "node:worker_threads";
import { registeredRoutes } from "./app.js";
import type { BlockingRoute, PlainRequest } from "./blocking.js";
import { HttpError } from "./response.js";
import type { CzRequest, RequestHeaders } from "./types.js";
import { encodeError, encodeResult, type Encoded } from "./writer.js";

const { moduleUrls, routes } = workerData as { moduleUrls: string[]; routes: BlockingRoute[] };
for (const url of moduleUrls) await import(url);

const byKey = new Map(registeredRoutes().map((r) => [`${r.method} ${r.path}`, r.handler]));
const handlers = new Map<number, { route: BlockingRoute; handler: Function }>();
for (const route of routes) {
  const handler = byKey.get(`${route.method} ${route.path}`);
  if (!handler)
    throw new Error(`catzilla: blocking route ${route.method} ${route.path} is not registered in the worker`);
  handlers.set(route.id, { route, handler });
}

parentPort!.postMessage({ ready: true });

parentPort!.on("message", async (m: { job: number; route: number; req: PlainRequest }) => {
  let e: Encoded;
  const bound = handlers.get(m.route);
  try {
    if (!bound) throw new Error(`catzilla: route id ${m.route} is not a blocking route`);
    e = encodeResult(await bound.handler(plainRequest(m.req, bound.route)));
  } catch (err) {
    if (!(err instanceof HttpError)) console.error(`catzilla: handler for ${m.req.method} ${m.req.path} failed:`, err);
    e = encodeError(err);
  }
  const body = typeof e.body === "string" ? Buffer.from(e.body) : e.body;
  const copy = new Uint8Array(body); // a transferable buffer of its own
  parentPort!.postMessage({ job: m.job, status: e.status, head: e.head, body: copy }, [copy.buffer]);
});

function plainRequest(r: PlainRequest, route: BlockingRoute): CzRequest {
  const params: Record<string, string | number> = { ...r.params };
  route.params?.forEach((name, i) => {
    const t = route.paramTypes?.[i];
    if ((t === "int" || t === "number") && typeof params[name] === "string") params[name] = Number(params[name]);
  });
  const q = r.url.indexOf("?");
  let search: URLSearchParams | undefined;
  const searchParams = () => (search ??= new URLSearchParams(q < 0 ? "" : r.url.slice(q + 1)));
  const body = r.body ?? new Uint8Array(0);
  return {
    method: r.method,
    path: r.path,
    url: r.url,
    params: params as CzRequest["params"],
    get query() {
      return Object.fromEntries(searchParams());
    },
    get searchParams() {
      return searchParams();
    },
    headers: headersOf(r.headers),
    text: async () => Buffer.from(body).toString("utf8"),
    json: async <T>() => {
      try {
        return JSON.parse(Buffer.from(body).toString("utf8")) as T;
      } catch {
        throw new HttpError(400, "Invalid JSON body");
      }
    },
    bytes: async () => body,
  };
}

function headersOf(pairs: [string, string][]): RequestHeaders {
  const map = new Map<string, string>();
  for (const [k, v] of pairs)
    map.set(k.toLowerCase(), map.has(k.toLowerCase()) ? `${map.get(k.toLowerCase())}, ${v}` : v);
  return {
    get: (name) => map.get(name.toLowerCase()) ?? null,
    has: (name) => map.has(name.toLowerCase()),
    forEach: (fn) => map.forEach((v, k) => fn(v, k)),
    entries: () => map.entries(),
    keys: () => map.keys(),
    values: () => map.values(),
    toJSON: () => Object.fromEntries(map),
    [Symbol.iterator]: () => map.entries(),
  };
}
