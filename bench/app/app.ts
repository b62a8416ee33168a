// The Catzilla benchmark app: the routes every benchmark server answers, plus /const and
// /sleep100 (the in-flight async load of scenario 2).
import { Catzilla } from "catzilla";

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
