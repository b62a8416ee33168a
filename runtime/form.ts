/**
 * `req.formData()`: `application/x-www-form-urlencoded` and `multipart/form-data` bodies
 * parsed by @fastify/busboy (the Fastify team's busboy, which undici uses too) as the body
 * arrives, into a Web FormData. A file part becomes a File built from its chunks: they are
 * gathered into Blobs of FILE_SEGMENT bytes as they come, so an upload is never held twice
 * (the chunks of one segment at most).
 *
 * Errors are HttpErrors, so they go through the app's error handling: a limit → 413, a
 * malformed body → 400, another (or no) content type → 415.
 */
import { Busboy, type BusboyConfig } from "@fastify/busboy";
import { once } from "node:events";
import { HttpError } from "./response.js";

/** The listen options that bound formData() (C bounds the whole body: maxBodyBytes). */
export interface FormLimits {
  /** Bytes of one file part → 413. */
  maxFileBytes: number;
  /** File parts → 413. */
  maxFiles: number;
  /** Non-file fields → 413. */
  maxFields: number;
  /** Bytes of one field's value → 413. */
  maxFieldBytes: number;
}

export const FORM_LIMIT_DEFAULTS: Readonly<FormLimits> = {
  maxFileBytes: 16 * 1024 * 1024,
  maxFiles: 10,
  maxFields: 1000,
  maxFieldBytes: 1024 * 1024,
};

/** The form limits of a listen options object, defaults filled in. */
export function formLimits(options: Partial<FormLimits>): FormLimits {
  const out = { ...FORM_LIMIT_DEFAULTS };
  for (const k of Object.keys(FORM_LIMIT_DEFAULTS) as (keyof FormLimits)[]) {
    const v = options[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw new TypeError(`catzilla: listen option ${k} must be a non-negative integer`);
    }
    out[k] = v;
  }
  return out;
}

/** A file's chunks are copied into a Blob this many bytes at a time, then dropped. */
const FILE_SEGMENT = 1024 * 1024;

const FORM_TYPES = /^(multipart\/form-data|application\/x-www-form-urlencoded)\s*(;|$)/i;

/** A Content-Type formData() reads. */
export function isFormType(contentType: string): boolean {
  return FORM_TYPES.test(contentType);
}

/**
 * Parses a form body from its chunks. `contentType`: the request's Content-Type header.
 * Stops reading at the first error (the rest of the body is left unread).
 */
export async function parseForm(
  contentType: string | null,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  limits: FormLimits,
): Promise<FormData> {
  if (contentType === null || !isFormType(contentType)) {
    throw new HttpError(415, "Unsupported Media Type", {
      message: "formData() reads multipart/form-data or application/x-www-form-urlencoded bodies",
    });
  }
  const config: BusboyConfig = {
    headers: { "content-type": contentType },
    // A part is a File exactly when it names a file (as in the Fetch spec's parsing).
    isPartAFile: (_field, _type, filename) => filename !== undefined,
    // One more field and file than allowed: busboy's urlencoded parser drops the fields past
    // its limit within one write without saying so, so the parts are counted here.
    limits: {
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles + 1,
      fields: limits.maxFields + 1,
      fieldSize: limits.maxFieldBytes,
    },
  };
  let bb: InstanceType<typeof Busboy>;
  try {
    bb = new Busboy(config);
  } catch (err) {
    throw new HttpError(400, "Malformed form body", { message: (err as Error).message });
  }
  const form = new FormData();
  let failure: HttpError | undefined;
  const fail = (e: HttpError): void => {
    failure ??= e;
  };
  const tooLarge = (what: string): HttpError => new HttpError(413, "Form too large", { message: what });
  const tooManyFields = () => fail(tooLarge(`more than maxFields (${limits.maxFields}) fields`));
  const tooManyFiles = () => fail(tooLarge(`more than maxFiles (${limits.maxFiles}) files`));
  let fields = 0;
  let files = 0;

  bb.on("field", (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    if (++fields > limits.maxFields) tooManyFields();
    else if (valueTruncated) fail(tooLarge(`field ${JSON.stringify(name)} is over maxFieldBytes (${limits.maxFieldBytes})`));
    else form.append(name, value);
  });
  bb.on("file", (name: string, file: NodeJS.ReadableStream, filename: string, _enc: string, type: string) => {
    if (++files > limits.maxFiles) tooManyFiles();
    const blobs: Blob[] = [];
    let pending: Uint8Array<ArrayBuffer>[] = [];
    let pendingBytes = 0;
    file.on("data", (d: Uint8Array<ArrayBuffer>) => {
      pending.push(d);
      pendingBytes += d.length;
      if (pendingBytes >= FILE_SEGMENT) {
        blobs.push(new Blob(pending));
        pending = [];
        pendingBytes = 0;
      }
    });
    file.on("limit", () => fail(tooLarge(`file ${JSON.stringify(filename)} is over maxFileBytes (${limits.maxFileBytes})`)));
    file.on("end", () => {
      if (failure === undefined) form.append(name, new File([...blobs, ...pending], filename, { type }));
    });
  });
  bb.on("filesLimit", tooManyFiles);
  bb.on("fieldsLimit", tooManyFields);
  const done = new Promise<void>((resolve, reject) => {
    bb.on("finish", resolve);
    bb.on("error", (err: Error) => {
      fail(new HttpError(400, "Malformed form body", { message: err.message }));
      reject(failure);
    });
  });
  done.catch(() => {}); // awaited below; a failure seen earlier is what is thrown then

  for await (const chunk of chunks) {
    if (failure !== undefined) break;
    if (!bb.write(chunk)) await Promise.race([once(bb, "drain"), done]);
  }
  if (failure !== undefined) throw failure;
  bb.end();
  await done;
  if (failure !== undefined) throw failure;
  return form;
}

/**
 * `req.form()` without a schema: each field by name, a repeated one as an array of its
 * values in order (as Hono's `parseBody({ all: true })` and Fastify's attached fields give).
 */
export function formObject(fd: FormData): Record<string, FormDataEntryValue | FormDataEntryValue[]> {
  const out: Record<string, FormDataEntryValue | FormDataEntryValue[]> = Object.create(null);
  for (const [k, v] of fd) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}
