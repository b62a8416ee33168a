// RFC 9112 header rules a proxy in front of us may read differently if we are lax: Host
// (once, a valid RFC 3986 host[:port]), obs-fold (any line starting with SP/HTAB), the
// Connection token list with every whitespace variant, and methods llhttp must know (QUERY).
import { afterAll, beforeAll, describe, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";
import { get } from "../helpers/raw.js";
import { check, MODES, post, type Case } from "./helpers.js";

const SYNC = '{"type":"sync"}';
const TEXT = "hello, world";

/** A GET of /sync with `lines` as its whole header block (each line ending in CRLF). */
const raw = (lines: string) => `GET /sync HTTP/1.1\r\n${lines}\r\n`;
const refused = (name: string, req: string): Case => ({ name, req: req + get("/text"), statuses: [400], close: true });

const HOST: Case[] = [
  refused("Host missing on HTTP/1.1", raw("")),
  refused("two equal Host lines", raw("Host: a.example\r\nHost: a.example\r\n")),
  refused("two different Host lines", raw("Host: a.example\r\nHost: b.example\r\n")),
  refused("two Host lines in different case", raw("Host: a.example\r\nhOST: a.example\r\n")),
  refused("Host with a space inside", raw("Host: a b\r\n")),
  refused("Host with userinfo", raw("Host: u@a.example\r\n")),
  refused("Host as a list", raw("Host: a.example, b.example\r\n")),
  refused("Host with a path", raw("Host: a.example/x\r\n")),
  refused("Host with a non-numeric port", raw("Host: a.example:80x\r\n")),
  refused("Host with an unclosed IPv6 literal", raw("Host: [::1\r\n")),
  ...["Host: a.example:8080", "Host: 127.0.0.1", "Host: [::1]:8000", "Host: A-b.Example."].map(
    (line): Case => ({
      name: `valid ${line}`,
      req: raw(`${line}\r\n`) + get("/text"),
      statuses: [200, 200],
      close: false,
      bodies: [SYNC, TEXT],
    }),
  ),
  // RFC 9112 3.2: a client with no authority to name sends Host with an empty value.
  { name: "empty Host", req: raw("Host:\r\n") + get("/text"), statuses: [200, 200], close: false, bodies: [SYNC, TEXT] },
  { name: "no Host on HTTP/1.0", req: "GET /sync HTTP/1.0\r\n\r\n", statuses: [200], close: true, bodies: [SYNC] },
];

const OBS_FOLD: Case[] = [
  refused("Transfer-Encoding folded after an empty value", post("Transfer-Encoding:\r\n chunked\r\n", "5\r\nhello\r\n0\r\n\r\n")),
  refused("Content-Length folded after an empty value", post("Content-Length:\r\n 5\r\n", "hello")),
  refused("a folded header after an empty value", raw("Host: t\r\nX-A:\r\n b\r\n")),
  refused("a header folded with a tab", raw("Host: t\r\nX-A: a\r\n\tb\r\n")),
  refused("a header folded with a space", raw("Host: t\r\nX-A: a\r\n b\r\n")),
  refused("Host folded", raw("Host: t\r\n x\r\n")),
  refused("the first header line starting with a space", raw(" Host: t\r\n")),
  refused("the first header line starting with a tab", raw("\tHost: t\r\n")),
  refused("a header line starting with a space after Host", raw("Host: t\r\n X-A: 1\r\n")),
];

/** Header lines that are not `token ":" value` (RFC 9110 5.1: a field name is a token). */
const MALFORMED: Case[] = [
  refused("an empty header name", raw("Host: t\r\n: Bar\r\n")),
  refused("an empty header name before Host", raw(": Bar\r\nHost: t\r\n")),
  refused("a header line without a colon", raw("Host: t\r\nX-A\r\n")),
  refused("a header name with a slash", raw("Host: t\r\nX/A: 1\r\n")),
];

/** `Connection` values that must close the connection after the answer (RFC 9112 9.6). */
const CLOSING = ["close\t", "close ", "\tclose", "CLOSE", "keep-alive ,close", "keep-alive,\tclose", "keep-alive, close", "foo,close", "close, keep-alive"];
const CONNECTION: Case[] = [
  ...CLOSING.map(
    (v): Case => ({
      name: `Connection: ${JSON.stringify(v)} closes`,
      req: raw(`Host: t\r\nConnection: ${v}\r\n`) + get("/text"),
      statuses: [200],
      close: true,
      bodies: [SYNC],
      connection: { 0: "close" },
    }),
  ),
  {
    name: "close on a second Connection line",
    req: raw("Host: t\r\nConnection: keep-alive\r\nConnection: close\r\n") + get("/text"),
    statuses: [200],
    close: true,
    connection: { 0: "close" },
  },
  ...["closed", "xclose", "close-later"].map(
    (v): Case => ({
      name: `Connection: ${v} is another token and keeps the connection`,
      req: raw(`Host: t\r\nConnection: ${v}\r\n`) + get("/text"),
      statuses: [200, 200],
      close: false,
      bodies: [SYNC, TEXT],
    }),
  ),
  ...["keep-alive\t", " keep-alive ", "foo,\tkeep-alive", "Keep-Alive"].map(
    (v): Case => ({
      name: `HTTP/1.0 Connection: ${JSON.stringify(v)} keeps the connection`,
      req: `GET /sync HTTP/1.0\r\nConnection: ${v}\r\n\r\n` + "GET /text HTTP/1.0\r\n\r\n",
      statuses: [200, 200],
      close: true, // the second request has no keep-alive
      bodies: [SYNC, TEXT],
      connection: { 0: "keep-alive" },
    }),
  ),
];

const QUERY: Case[] = [
  {
    name: "QUERY on a GET-only route is 405, not 400",
    req: "QUERY /sync HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc" + get("/text"),
    statuses: [405, 200],
    close: false,
    bodies: [undefined, TEXT],
  },
  {
    name: "QUERY on an unknown path is 404, not 400",
    req: "QUERY /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" + get("/text"),
    statuses: [404, 200],
    close: false,
    bodies: [undefined, TEXT],
  },
];

let app: RunningApp;
beforeAll(async () => {
  app = await serve("test/fixtures/e2e/.catzilla", { headersTimeoutMs: 3000 });
});
afterAll(async () => {
  await app?.stop();
});

const GROUPS: [string, Case[]][] = [
  ["Host", HOST],
  ["obs-fold", OBS_FOLD],
  ["malformed lines", MALFORMED],
  ["Connection", CONNECTION],
  ["QUERY", QUERY],
];
describe.each(MODES)("headers (%s)", (mode) => {
  describe.each(GROUPS)("%s", (_group, cases) => {
    it.concurrent.for(cases)("$name", async (c, { expect }) => {
      await check(expect, app.port, c, mode);
    });
  });
});
