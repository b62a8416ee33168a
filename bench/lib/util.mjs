// Small helpers shared by the harness: statistics, formatting, ports, sleeping.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export const min = (xs) => Math.min(...xs.filter(Number.isFinite));
export const max = (xs) => Math.max(...xs.filter(Number.isFinite));

/** Median, min and max of a list of numbers (NaN when empty). */
export function summarize(xs) {
  const v = xs.filter(Number.isFinite);
  return v.length ? { median: median(v), min: min(v), max: max(v), n: v.length } : { median: NaN, min: NaN, max: NaN, n: 0 };
}

/** A port the OS says is free right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** 123456 → "123.5k", 1234567 → "1.23M". */
export function fmtRate(x) {
  if (!Number.isFinite(x)) return "—";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  return x.toFixed(0);
}

/** Microseconds → "850 µs" / "1.25 ms" / "100.3 ms". */
export function fmtLatency(us) {
  if (!Number.isFinite(us)) return "—";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 100_000) return `${(us / 1000).toFixed(2)} ms`;
  return `${(us / 1000).toFixed(1)} ms`;
}

export function fmtRatio(x, digits = 2) {
  return Number.isFinite(x) ? `${x.toFixed(digits)}×` : "—";
}

export function fmtNum(x, digits = 1) {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return "—";
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * Replaces the text between `<!-- name:begin … -->` and `<!-- name:end -->` in a shared
 * RESULTS.md with `md`, or appends the block under `heading` when the markers are missing.
 * The file is read right before it is written, so other tools' sections stay as they are.
 */
export function updateSection(file, name, heading, md, writer) {
  const begin = `<!-- ${name}:begin (written by ${writer}) -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${md.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const a = text.indexOf(`<!-- ${name}:begin`);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + end.length);
  else {
    const h = text.includes(`## ${heading}`) ? "" : `## ${heading}\n\n`;
    text = `${text.replace(/\s*$/, text ? "\n\n" : "")}${h}${block}\n`;
  }
  writeFileSync(file, text);
}
