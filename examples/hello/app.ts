// The week-1 deliverable: one sync and one async route on the native server.
import { Catzilla } from "catzilla";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const app = new Catzilla();

app.get("/sync", (req) => ({ type: "sync", path: req.path }));

app.get("/async", async () => {
  await sleep(1);
  return { type: "async" };
});
