// The Catzilla benchmark app: the routes every benchmark server answers, plus /const and
// /sleep100 (the in-flight async load of scenario 2).
import { Catzilla, type CzRequest, type Next } from "catzilla";

// The measured routes build their response per request, like every other server in the
// suite; only /const returns a literal (the shape the compiler may answer from C alone).
const hello = (): string => "Hello, World!";
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const app = new Catzilla();

app.get("/plaintext", () => hello());
app.get("/json", () => ({ message: hello() }));
app.get("/async", async () => {
  const data = await Promise.resolve({ message: hello() });
  return data;
});
app.get("/user/:id", (req) => ({ id: req.params.id }));
app.get("/const", () => ({ message: "Hello, World!" }));
app.get("/sleep100", async () => {
  await sleep(100);
  return { message: hello() };
});

// /json behind three sync middleware (bench/middleware.mjs): what a chain costs against the
// bare /json above, which has none. The route stays sync: next() returns at once.
//   /mw3/json:  a pass-through, a guard on the method, and one with code after next();
//   /mw3h/json: the same, but the guard reads a request header (so C copies the header
//               block) and the last sets a response header (so the response is opened).
const passThrough = (req: CzRequest, next: Next) => next();
const onlyGet = (req: CzRequest, next: Next) => (req.method === "GET" || req.method === "HEAD" ? next() : "denied");
let served = 0;
const countServed = (req: CzRequest, next: Next) => {
  const res = next();
  served++;
  return res;
};
app.get("/mw3/json", () => ({ message: hello() }), { use: [passThrough, onlyGet, countServed] });
const checkHeader = (req: CzRequest, next: Next) => (req.headers.get("x-deny") === null ? next() : "denied");
const tagResponse = (req: CzRequest, next: Next) => {
  const res = next();
  res.headers.set("x-served", String(served));
  return res;
};
app.get("/mw3h/json", () => ({ message: hello() }), { use: [passThrough, checkHeader, tagResponse] });
