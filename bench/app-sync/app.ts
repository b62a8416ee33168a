// Scenario 1: an all-sync app, served with enableAsync true and false (BENCH_ENABLE_ASYNC).
import { Catzilla } from "catzilla";

const hello = (): string => "Hello, World!";

export const app = new Catzilla();

app.get("/plaintext", () => hello());
app.get("/json", () => ({ message: hello() }));
app.get("/user/:id", (req) => ({ id: req.params.id }));
