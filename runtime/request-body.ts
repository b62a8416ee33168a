/**
 * The body readers a Request delegates to for what its buffer alone cannot give: a streamed
 * body (a BodyChannel C feeds, runtime/body.ts) read whole or as a stream, and formData()
 * over either kind (runtime/form.ts). What the runtime keeps on a request for them is keyed
 * by symbols, as in request.ts: the handler sees none of it.
 */
import { bytesStream, channelStream, readAll, type BodyChannel } from "./body.js";
import type { BodyStreams } from "./body.js";
import { FORM_LIMIT_DEFAULTS, isFormType, parseForm, type FormLimits } from "./form.js";
import type { RequestHeaders } from "./types.js";
import { CTX, GEN } from "./request.js";

/** A streamed request's channel (its Request's body is null). */
export const BODY_IN = Symbol("catzilla.bodyIn");
/** The server's form limits (listen options), set on requests that have a body. */
export const FORM_LIMITS = Symbol("catzilla.formLimits");
/** The body parsed by formData(), once. */
const FORM = Symbol("catzilla.form");
/** A streamed body read whole, once: later whole reads give the same bytes. */
const WHOLE = Symbol("catzilla.wholeBody");

interface BodyHolder {
  [BODY_IN]?: BodyChannel;
  [FORM_LIMITS]?: FormLimits;
  [WHOLE]?: Promise<Buffer>;
  [FORM]?: Promise<FormData>;
  readonly headers: RequestHeaders;
}

function holder(req: object): BodyHolder {
  return req as BodyHolder;
}

/** The channel, for its one reader; a TypeError (as fetch's "body used") for a second one. */
function take(req: BodyHolder): BodyChannel {
  const ch = req[BODY_IN];
  if (ch === undefined) throw new Error("catzilla: a streamed request without its body channel; please report");
  if (ch.taken) throw new TypeError("catzilla: the request body was already read as a stream");
  ch.taken = true;
  return ch;
}

/** A streamed body, whole (text(), json(), bytes()). */
export function wholeBody(req: object): Promise<Buffer> {
  const r = holder(req);
  if (r[WHOLE] !== undefined) return r[WHOLE];
  try {
    return (r[WHOLE] = readAll(take(r)));
  } catch (err) {
    return Promise.reject(err);
  }
}

/** req.stream(): `body` is the Request's buffered body, or null for a streamed one. */
export function streamOf(req: object, body: Buffer | null | undefined): ReadableStream<Uint8Array> {
  if (body !== null) return bytesStream(body);
  const r = holder(req);
  const whole = r[WHOLE];
  if (whole !== undefined) {
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          const b = await whole;
          if (b.length > 0) controller.enqueue(b);
          controller.close();
        } catch (err) {
          controller.error(err);
        }
      },
    });
  }
  return channelStream(take(r));
}

/**
 * req.formData() over either kind of body, parsed once: a later call (the handler's, after a
 * typed form's check read it: form-check.ts) gets the same FormData.
 */
export function formDataOf(req: object, body: Buffer | null | undefined): Promise<FormData> {
  const r = holder(req);
  return (r[FORM] ??= parseFormOf(r, body));
}

async function parseFormOf(r: BodyHolder, body: Buffer | null | undefined): Promise<FormData> {
  const type = r.headers.get("content-type");
  const limits = r[FORM_LIMITS] ?? FORM_LIMIT_DEFAULTS;
  if (body !== null) return parseForm(type, body === undefined ? [] : [body], limits);
  const whole = r[WHOLE];
  if (whole !== undefined) return parseForm(type, [await whole], limits);
  // Checked before the body is taken: a 415 leaves the stream to another reader.
  if (type === null || !isFormType(type)) return parseForm(type, [], limits);
  return parseForm(type, take(r).chunks(), limits);
}

/** What the batch loop does for each request with a body (one server's streams and limits). */
export interface BodyIn {
  /** `body` is bodies[i]: a Buffer, or null for a streamed body whose chunks follow. */
  attach(req: { readonly [CTX]: number; readonly [GEN]: number }, body: Buffer | null): void;
  /** A body in the arena beside the head: only the server's form limits to attach. */
  limit(req: object): void;
}

export function bodyIn(streams: BodyStreams, limits: FormLimits): BodyIn {
  return {
    attach(req, body) {
      const r = holder(req);
      r[FORM_LIMITS] = limits;
      if (body === null) r[BODY_IN] = streams.open(req[CTX], req[GEN]);
    },
    limit(req) {
      holder(req)[FORM_LIMITS] = limits;
    },
  };
}
