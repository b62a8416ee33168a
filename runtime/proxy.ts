/**
 * `req.ip`, `req.protocol` and `req.host` behind proxies (the `trustProxy` listen option,
 * docs/logging.md). Pure functions over the peer address and the request's headers.
 *
 * Address and CIDR matching is @fastify/proxy-addr's `compile` (Fastify's fork of Express's
 * proxy-addr, over ipaddr.js): the same trust lists, names (`loopback`, `linklocal`,
 * `uniquelocal`) and IPv4-mapped-IPv6 handling as Fastify and Express, so an app moving
 * over keeps its setting's meaning. (node's net.BlockList matches ranges too, but has no
 * named ranges and treats `::ffff:127.0.0.1` and `127.0.0.1` as unrelated.)
 */
import { createRequire } from "node:module";

/**
 * What `trustProxy` takes, as Fastify: false (default, trust no one), true (trust every
 * hop), a number of hops to trust, addresses/CIDRs (array or comma-separated string), or
 * `(addr, i) => boolean` (i = 0 is the peer, 1 the hop before it, ...).
 */
export type TrustProxy = boolean | number | string | readonly string[] | TrustFn;

/** Whether hop `i` (0: the connection's peer) with address `addr` is a trusted proxy. */
export type TrustFn = (addr: string, i: number) => boolean;

const require = createRequire(import.meta.url);
const { compile } = require("@fastify/proxy-addr") as { compile(val: string | string[]): TrustFn };

/** The trust function for the option, or undefined when no proxy is trusted. */
export function compileTrust(trust: TrustProxy | undefined): TrustFn | undefined {
  if (trust === undefined || trust === false) return undefined;
  if (trust === true) return () => true;
  if (typeof trust === "function") return trust;
  if (typeof trust === "number") {
    if (!Number.isInteger(trust) || trust < 0) {
      throw new TypeError("catzilla: listen option `trustProxy` as a number must be a non-negative integer (hops)");
    }
    return trust === 0 ? undefined : (_a, i) => i < trust;
  }
  const list = typeof trust === "string" ? trust.split(",").map((s) => s.trim()) : [...trust];
  if (list.length === 0) return undefined;
  try {
    return compile(list);
  } catch (err) {
    throw new TypeError(`catzilla: listen option \`trustProxy\`: ${(err as Error).message}`);
  }
}

/** The headers the proxy rules read (lowercase names; undefined when absent). */
export interface ForwardedHeaders {
  "x-forwarded-for"?: string;
  forwarded?: string;
  "x-forwarded-proto"?: string;
  "x-forwarded-host"?: string;
}

/**
 * The client address: the peer, or, while the hops are trusted, the next address to the
 * left in `X-Forwarded-For` (or, without it, the `for=` of `Forwarded`): the rightmost
 * address that is not a trusted proxy. With every hop trusted, the leftmost.
 */
export function clientIp(peer: string, get: (name: keyof ForwardedHeaders) => string | undefined, trust: TrustFn | undefined): string {
  if (trust === undefined || !trust(peer, 0)) return peer;
  const hops = forwardedFor(get);
  let ip = peer;
  for (let k = hops.length - 1, i = 1; k >= 0; k--, i++) {
    ip = hops[k];
    if (!trust(ip, i)) break;
  }
  return ip;
}

/** `X-Forwarded-Proto` (its last entry), else `Forwarded`'s proto, from a trusted peer; else "http". */
export function clientProtocol(peer: string, get: (name: keyof ForwardedHeaders) => string | undefined, trust: TrustFn | undefined): string {
  if (trust === undefined || !trust(peer, 0)) return "http";
  const xfp = lastEntry(get("x-forwarded-proto"));
  if (xfp !== undefined) return xfp.toLowerCase();
  const fwd = get("forwarded");
  const proto = fwd === undefined ? undefined : parseForwarded(fwd).at(-1)?.proto;
  return proto?.toLowerCase() ?? "http";
}

/** `X-Forwarded-Host` (its last entry), else `Forwarded`'s host, from a trusted peer; else `host`. */
export function clientHost(
  peer: string,
  host: string,
  get: (name: keyof ForwardedHeaders) => string | undefined,
  trust: TrustFn | undefined,
): string {
  if (trust === undefined || !trust(peer, 0)) return host;
  const xfh = lastEntry(get("x-forwarded-host"));
  if (xfh !== undefined) return xfh;
  const fwd = get("forwarded");
  return (fwd === undefined ? undefined : parseForwarded(fwd).at(-1)?.host) ?? host;
}

/** The proxy chain, leftmost (the original client) first. */
function forwardedFor(get: (name: keyof ForwardedHeaders) => string | undefined): string[] {
  const xff = get("x-forwarded-for");
  if (xff !== undefined) return xff.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const fwd = get("forwarded");
  if (fwd === undefined) return [];
  const out: string[] = [];
  for (const el of parseForwarded(fwd)) if (el.for !== undefined) out.push(nodeAddress(el.for));
  return out;
}

function lastEntry(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const last = v.slice(v.lastIndexOf(",") + 1).trim();
  return last === "" ? undefined : last;
}

/** One element of a `Forwarded` header: its parameters, names lowercased, values unquoted. */
export type ForwardedElement = Partial<Record<"for" | "by" | "proto" | "host", string>>;

/**
 * RFC 7239 section 4: `Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8::1]:4711"`.
 * Elements are separated by commas, pairs by semicolons; a value is a token or a quoted
 * string (with `\` escapes). A malformed element is skipped.
 */
export function parseForwarded(header: string): ForwardedElement[] {
  const out: ForwardedElement[] = [];
  let el: Record<string, string> = {};
  let ok = true;
  let i = 0;
  const n = header.length;
  const skipWs = (): void => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  while (i <= n) {
    skipWs();
    if (i >= n || header[i] === "," || header[i] === ";") {
      const sep = header[i];
      if (sep !== ";") {
        if (ok && Object.keys(el).length > 0) out.push(el as ForwardedElement);
        el = {};
        ok = true;
      }
      i++;
      continue;
    }
    const eq = header.indexOf("=", i);
    if (eq < 0) break;
    const name = header.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = "";
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === "\\" && i + 1 < n) i++;
        value += header[i++];
      }
      if (i >= n) ok = false; // unterminated quote
      i++;
    } else {
      const start = i;
      while (i < n && header[i] !== ";" && header[i] !== "," && header[i] !== " " && header[i] !== "\t") i++;
      value = header.slice(start, i);
    }
    if (name === "" || /[^!#$%&'*+.^_`|~0-9a-z-]/.test(name)) ok = false;
    else if (name === "for" || name === "by" || name === "proto" || name === "host") el[name] = value;
  }
  return out;
}

/**
 * A `for=` node as an address: `[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.43:47011` →
 * `192.0.2.43`; `unknown` and obfuscated identifiers (`_hidden`) are kept as they are.
 */
export function nodeAddress(node: string): string {
  if (node.startsWith("[")) {
    const end = node.indexOf("]");
    return end < 0 ? node : node.slice(1, end);
  }
  const colon = node.indexOf(":");
  return colon >= 0 && node.indexOf(":", colon + 1) < 0 ? node.slice(0, colon) : node;
}
