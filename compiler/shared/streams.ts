/**
 * Handler results that are streamed rather than serialised (runtime/stream.ts): an async
 * iterable (an async generator, a Node Readable), a Web ReadableStream, or what stream()
 * and sse() return. Such a route is `maybe` (the result is sent after the handler returns,
 * as it is produced) and has no JSON serializer. A Web Response is sent as its status,
 * headers and (streamed) body (runtime/result-object.ts): no JSON serializer either.
 */
import { ts } from "ts-morph";

/** The reason classify gives a route whose handler returns a stream. */
export const STREAM_REASON = "returns a stream, sent as it is produced";

export function isStreamType(t: ts.Type, checker: ts.TypeChecker): boolean {
  if (t.getSymbol()?.getName() === "CzStream") return true;
  for (const p of checker.getPropertiesOfType(t)) {
    const name = p.getEscapedName() as string;
    // Symbol-named members are "__@<name>@<id>": Symbol.asyncIterator is the iterable's mark.
    if (name.startsWith("__@asyncIterator")) return true;
  }
  return !!checker.getPropertyOfType(t, "getReader") && !!checker.getPropertyOfType(t, "pipeTo");
}

/** A Fetch Response (lib.dom's, undici's, a polyfill's): by its shape, as the runtime tells one. */
export function isResponseType(t: ts.Type, checker: ts.TypeChecker): boolean {
  return ["status", "headers", "body", "bodyUsed", "arrayBuffer"].every((p) => !!checker.getPropertyOfType(t, p));
}
