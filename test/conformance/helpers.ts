/**
 * Shared by the RFC 9112 conformance files: every case is sent twice, as one write and
 * split byte by byte (a parser state that only a split reaches is where laxness hides),
 * and its outcome is the exact list of statuses plus whether the server closed.
 */
import { expect as globalExpect } from "vitest";
import type { Socket } from "node:net";
import { exchange, exchangeOn, get, openSocket, parseResponses, type Exchange, type RawResponse } from "../helpers/raw.js";

export type Mode = "whole" | "bytes";
export const MODES: Mode[] = ["whole", "bytes"];

/** Gap between single bytes in "bytes" mode: long enough that the server reads each alone. */
const BYTE_GAP_MS = 1;

/** Statuses the server answers on its own when it refuses a request (always with a close). */
export const REJECTIONS = new Set([400, 408, 413, 414, 417, 431, 501, 505]);

/** Test bytes are latin1 so that \x00, \x0b or \xff reach the wire as one byte each. */
export function wire(bytes: string | Buffer): Buffer {
  return typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
}

export function chunksFor(bytes: string | Buffer, mode: Mode): Buffer[] {
  const b = wire(bytes);
  if (mode === "whole") return [b];
  return Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
}

export interface Outcome {
  responses: RawResponse[];
  statuses: number[];
  closed: boolean;
  /** Bytes after the last complete response (should be none). */
  rest: string;
}

/**
 * Sends `bytes` on a fresh connection. `responses` ends the wait early once that many
 * answers arrived and the server stayed open (a keep-alive case); without it the exchange
 * runs until the server closes or has been silent for `idleMs`.
 */
export async function send(
  port: number,
  bytes: string | Buffer,
  mode: Mode,
  opts: { responses?: number; idleMs?: number; timeoutMs?: number; noBody?: number[] } = {},
): Promise<Outcome> {
  const chunks = chunksFor(bytes, mode);
  const r: Exchange = await exchange(port, chunks, {
    gapMs: mode === "bytes" ? BYTE_GAP_MS : undefined,
    idleMs: opts.idleMs ?? 600,
    timeoutMs: opts.timeoutMs ?? 8000 + (mode === "bytes" ? chunks.length * 4 : 0),
    responses: opts.responses,
    noBody: opts.noBody,
  });
  const { responses, rest } = parseResponses(r.data, opts.noBody);
  return { responses, statuses: responses.map((x) => x.status), closed: r.closed, rest };
}

/** A case of the tables: the bytes, the statuses expected in order, and whether the server closes. */
export interface Case {
  name: string;
  req: string;
  statuses: number[];
  close: boolean;
  /** Expected bodies of the responses, in order (undefined entries are not checked). */
  bodies?: (string | undefined)[];
  /** Response index → expected Connection header value (lower-cased). */
  connection?: Record<number, string | undefined>;
}

/**
 * Runs one case and checks its outcome with `expect` (the test's own, so cases can run
 * concurrently): the statuses, the close, a `Connection: close` on every refusal, and
 * nothing after the last response.
 */
export async function check(expect: typeof globalExpect, port: number, c: Case, mode: Mode): Promise<void> {
  const out = await send(port, c.req, mode, c.close ? {} : { responses: c.statuses.length });
  expect(out.statuses, "statuses").toEqual(c.statuses);
  expect(out.closed, "connection closed").toBe(c.close);
  expect(out.rest, "bytes after the last response").toBe("");
  out.responses.forEach((res, i) => {
    if (REJECTIONS.has(res.status)) expect(res.headers.connection, `response ${i}: Connection`).toBe("close");
    if (c.bodies?.[i] !== undefined) expect(res.body, `response ${i}: body`).toBe(c.bodies[i]);
    if (c.connection && i in c.connection) expect(res.headers.connection?.toLowerCase(), `response ${i}: Connection`).toBe(c.connection[i]);
  });
  await stillServes(expect, port);
}

/** The server still answers a normal request on a fresh connection. */
export async function stillServes(expect: typeof globalExpect, port: number): Promise<void> {
  const r = await exchange(port, [get("/sync")], { responses: 1, timeoutMs: 5000 });
  expect(parseResponses(r.data).responses[0]?.body, "a fresh connection is served afterwards").toBe('{"type":"sync"}');
}

/** A POST to the fixture's echo route with the given header lines (each ending in CRLF) and body. */
export function post(headers: string, body = "", path = "/echo-text"): string {
  return `POST ${path} HTTP/1.1\r\nHost: t\r\n${headers}\r\n${body}`;
}

export interface Flood {
  /** Bytes written before the first response byte arrived (or in all, if none did). */
  sentBefore: number;
  outcome: Outcome;
}

/**
 * Writes `head`, then `piece` over and over (paced, so the server reads about as fast as
 * we write and `sentBefore` measures what it accepted) until it answers, closes, or `max`
 * bytes went out. Measures where a server cuts an endless stream.
 */
export async function flood(port: number, head: string, piece: string, max: number): Promise<Flood> {
  const sock: Socket = await openSocket(port);
  const buf = wire(piece);
  let data = "";
  let closed = false;
  let sent = 0;
  let sentBefore = -1;
  sock.on("data", (d: Buffer) => {
    if (sentBefore < 0) sentBefore = sent;
    data += d.toString("latin1");
  });
  sock.on("error", () => {});
  const gone = new Promise<void>((resolve) => sock.once("close", () => ((closed = true), resolve())));
  sock.write(wire(head));
  sent += wire(head).length;
  while (sent < max && sentBefore < 0 && !closed) {
    sock.write(buf);
    sent += buf.length;
    await new Promise((r) => setTimeout(r, 2));
  }
  // Give the server a moment to answer and close after the last write.
  await Promise.race([gone, new Promise((r) => setTimeout(r, 1000))]);
  const serverClosed = closed;
  sock.destroy();
  const { responses, rest } = parseResponses(data);
  return {
    sentBefore: sentBefore < 0 ? sent : sentBefore,
    outcome: { responses, statuses: responses.map((x) => x.status), closed: serverClosed, rest },
  };
}
