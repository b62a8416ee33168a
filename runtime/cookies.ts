/**
 * Cookies: `req.cookies` (parsed from the Cookie header) and `cookie()`, which builds one
 * `Set-Cookie` value. Parsing and serialising are the npm `cookie` package's (the one
 * Express, Fastify and Hono's ecosystem rely on): its parser follows browsers on quoting,
 * duplicates and bad escapes, and its serialiser checks names, values and attributes
 * against RFC 6265, edge cases a hand-written split on ";" gets wrong.
 */
import { parseCookie, stringifySetCookie } from "cookie";

/** `SameSite` as browsers spell it; the lower-case forms are accepted too. */
export type SameSite = "Strict" | "Lax" | "None" | "strict" | "lax" | "none";

/** The attributes of a `Set-Cookie` value (RFC 6265bis), named as in Fetch/Hono/Fastify. */
export interface CookieOptions {
  path?: string;
  domain?: string;
  /** Seconds until the cookie expires (an integer; 0 or less deletes it now). */
  maxAge?: number;
  expires?: Date;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: SameSite;
  partitioned?: boolean;
}

const SAME_SITE: Record<string, "strict" | "lax" | "none"> = {
  strict: "strict",
  lax: "lax",
  none: "none",
};

const OPTION_NAMES = new Set(["path", "domain", "maxAge", "expires", "secure", "httpOnly", "sameSite", "partitioned"]);
const BOOLEAN_OPTIONS = ["secure", "httpOnly", "partitioned"] as const;

/**
 * One `Set-Cookie` header value: `cookie("session", "abc", { httpOnly: true, maxAge: 3600 })`
 * is `session=abc; Max-Age=3600; HttpOnly`. The value is percent-encoded where it holds
 * characters a cookie cannot carry (`req.cookies` decodes it). An invalid name, value or
 * option throws a TypeError: a typo should fail where it is written, not in a browser.
 */
export function cookie(name: string, value: string, options: CookieOptions = {}): string {
  if (typeof name !== "string") throw new TypeError(`catzilla: cookie name must be a string, got ${typeof name}`);
  if (typeof value !== "string") {
    throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: value must be a string, got ${typeof value}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: unknown option ${JSON.stringify(key)}`);
    }
  }
  for (const key of BOOLEAN_OPTIONS) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") {
      throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: ${key} must be a boolean`);
    }
  }
  let sameSite: "strict" | "lax" | "none" | undefined;
  if (options.sameSite !== undefined) {
    sameSite = typeof options.sameSite === "string" ? SAME_SITE[options.sameSite.toLowerCase()] : undefined;
    if (sameSite === undefined) {
      throw new TypeError(
        `catzilla: cookie ${JSON.stringify(name)}: sameSite must be "Strict", "Lax" or "None", got ${JSON.stringify(options.sameSite)}`,
      );
    }
  }
  if (options.expires !== undefined && !(options.expires instanceof Date && !Number.isNaN(options.expires.getTime()))) {
    throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: expires must be a valid Date`);
  }
  try {
    return stringifySetCookie({ ...options, sameSite, name, value });
  } catch (err) {
    // The package says which part is wrong ("cookie path is invalid: /;x"); a lone surrogate
    // in the value makes encodeURIComponent throw a URIError, which is a bad value too.
    const why = err instanceof Error ? err.message : String(err);
    throw new TypeError(`catzilla: cookie ${JSON.stringify(name)}: ${why}`);
  }
}

/**
 * The request's cookies from its Cookie header, percent-decoded; an object without a
 * prototype, so a cookie named "constructor" or "__proto__" is just a cookie.
 */
export function parseCookies(header: string | null): Record<string, string | undefined> {
  return header === null ? Object.create(null) : parseCookie(header);
}
