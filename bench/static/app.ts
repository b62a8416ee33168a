// The static-file benchmark's Catzilla app (bench/static/run.mjs): one mount over the
// directory the harness fills (relative to the working directory, the package root).
import { Catzilla } from "catzilla";

export const app = new Catzilla();
app.get("/ping", () => "pong");
app.static("/s", "bench/.tmp/static/www");
