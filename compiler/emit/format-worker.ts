/** The formatter thread (format.ts): prettier, loaded and warmed while the main thread builds the program. */
import { parentPort } from "node:worker_threads";
import { formatInThread, type FormatParser } from "./format.js";

const port = parentPort!;
// A first format loads prettier's parser and printer; do it before any real request arrives.
void formatInThread("const x = 1;\n");
port.on("message", ({ id, code, parser }: { id: number; code: string; parser?: FormatParser }) => {
  formatInThread(code, parser).then(
    (out) => port.postMessage({ id, out }),
    (err: unknown) => port.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
});
