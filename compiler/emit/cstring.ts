/** C source text helpers shared by the routes.c emitters. */

/** Safe inside a `//` comment: no control characters, no trailing backslash. */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\\]/g, "?");
}

/** A C string literal: printable ASCII as is (escaping \ " ?), everything else as octal. */
export function cString(s: string): string {
  return cBytes(Buffer.from(s, "utf8"));
}

export function cBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (ch === "\\" || ch === '"' || ch === "?") out += "\\" + ch;
    else if (byte === 13) out += "\\r";
    else if (byte === 10) out += "\\n";
    else if (byte === 9) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += ch;
    else out += "\\" + byte.toString(8).padStart(3, "0");
  }
  return out + '"';
}
