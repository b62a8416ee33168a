// RFC 9112 6.1-6.3: how a request's body is framed. Transfer-Encoding must be exactly a
// list ending in `chunked` (and `chunked` once), never beside Content-Length; anything
// else is 400 and a closed connection, so no byte after it can be taken for a request.
// Every case carries a pipelined `GET /sync` that must either be served (accepted cases)
// or never be parsed (refused ones).
import { afterAll, beforeAll, describe, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { get } from "../helpers/raw.js";
import { check, MODES, post, type Case } from "./helpers.js";

const NEXT = get("/sync");
const CHUNKED_HELLO = "5\r\nhello\r\n0\r\n\r\n";
const SYNC = '{"type":"sync"}';

const refused = (name: string, req: string, status = 400): Case => ({ name, req: req + NEXT, statuses: [status], close: true });
const served = (name: string, req: string): Case => ({
  name,
  req: req + NEXT,
  statuses: [200, 200],
  close: false,
  bodies: ["hello", SYNC],
});

const CASES: Case[] = [
  // Both framings at once (6.3 item 3): whichever one a proxy picks, we must not pick the other.
  refused("Transfer-Encoding with Content-Length", post("Content-Length: 15\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  refused("Content-Length after Transfer-Encoding", post("Transfer-Encoding: chunked\r\nContent-Length: 15\r\n", CHUNKED_HELLO)),
  refused("Content-Length: 0 with Transfer-Encoding", post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  // Empty or blank Transfer-Encoding fields (the first framing finding).
  refused(
    "three empty Transfer-Encoding lines with Content-Length: 10",
    post("Content-Length: 10\r\nTransfer-Encoding:\r\nTransfer-Encoding:\r\nTransfer-Encoding:\r\n", "0123456789"),
  ),
  refused("empty Transfer-Encoding without Content-Length", post("Transfer-Encoding:\r\n", CHUNKED_HELLO)),
  refused("blank (spaces) Transfer-Encoding with Content-Length", post("Content-Length: 5\r\nTransfer-Encoding:   \r\n", "hello")),
  refused("blank (tab) Transfer-Encoding with Content-Length", post("Content-Length: 5\r\nTransfer-Encoding: \t\r\n", "hello")),
  refused("an empty Transfer-Encoding line before a chunked one", post("Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  refused("an empty Transfer-Encoding line after a chunked one", post("Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n", CHUNKED_HELLO)),
  // Unknown codings, or a list that does not end in chunked (6.1).
  refused("unknown Transfer-Encoding", post("Transfer-Encoding: foo\r\n", CHUNKED_HELLO)),
  refused("Transfer-Encoding: identity", post("Transfer-Encoding: identity\r\n", CHUNKED_HELLO)),
  // A well-formed list ending in chunked whose other codings we do not decode: RFC 9112 6.1
  // "SHOULD respond with 501"; on two lines it is 400 like any repeated Transfer-Encoding.
  refused("unknown coding before chunked", post("Transfer-Encoding: foo, chunked\r\n", CHUNKED_HELLO), 501),
  refused("gzip before chunked", post("Transfer-Encoding: gzip, chunked\r\n", CHUNKED_HELLO), 501),
  refused("unknown coding before chunked, on two lines", post("Transfer-Encoding: foo\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  refused("chunked not last", post("Transfer-Encoding: chunked, foo\r\n", CHUNKED_HELLO)),
  refused("chunked not last, on two lines", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: foo\r\n", CHUNKED_HELLO)),
  refused("chunked twice in one line", post("Transfer-Encoding: chunked, chunked\r\n", CHUNKED_HELLO)),
  refused("chunked twice on two lines", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  refused("a quoted chunked", post('Transfer-Encoding: "chunked"\r\n', CHUNKED_HELLO)),
  // RFC 9110 allows a trailing tab (OWS), llhttp's strict mode does not: refusing is the safe side.
  refused("chunked followed by a tab", post("Transfer-Encoding: chunked\t\r\n", CHUNKED_HELLO)),
  refused("chunked with a parameter", post("Transfer-Encoding: chunked;q=1\r\n", CHUNKED_HELLO)),
  // Content-Length that must appear once with one value (6.3 item 5).
  refused("two Content-Length lines with different values", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")),
  refused("a Content-Length list with different values", post("Content-Length: 5, 6\r\n", "hello!")),
  refused("an empty Content-Length", post("Content-Length:\r\n", "hello")),
  refused("a signed Content-Length", post("Content-Length: +5\r\n", "hello")),
  refused("a hexadecimal Content-Length", post("Content-Length: 0x5\r\n", "hello")),
  // What must keep working.
  served("chunked", post("Transfer-Encoding: chunked\r\n", CHUNKED_HELLO)),
  served("chunked in another case", post("Transfer-Encoding: ChUnKeD\r\n", CHUNKED_HELLO)),
  served("chunked between spaces and tabs", post("Transfer-Encoding: \t chunked  \r\n", CHUNKED_HELLO)),
  served("Content-Length", post("Content-Length: 5\r\n", "hello")),
  served("Content-Length with leading zeros", post("Content-Length: 005\r\n", "hello")),
  served("Content-Length with surrounding whitespace", post("Content-Length:\t5 \r\n", "hello")),
];

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 3000 });
});
afterAll(async () => {
  await app?.stop();
});

describe.each(MODES)("body framing (%s)", (mode) => {
  it.concurrent.for(CASES)("$name", async (c, { expect }) => {
    await check(expect, app.port, c, mode);
  });
});
