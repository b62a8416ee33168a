// The Catzilla subject of the conformance measurements (node-subject.mjs answers alike):
// GET /sync → {"type":"sync"}; GET / answers, POST / and POST /echo-text echo the body.
// Other paths are 404 and other methods 405, which the suites count as answered.
import { Catzilla } from "catzilla";

export const app = new Catzilla();

app.get("/sync", () => ({ type: "sync" }));
app.get("/", () => "");
app.post("/", async (req) => req.text());
app.post("/echo-text", async (req) => req.text());
