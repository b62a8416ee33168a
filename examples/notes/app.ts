// A small notes service that uses most of the framework: middleware (CORS, auth, a header),
// a login cookie, typed and validated JSON bodies, a multipart upload, a static front-end
// served from C, a live feed over SSE, an admin group, onError and notFound.
// `npm run example:notes` compiles it and serves it; test/e2e/example-notes.test.ts calls it.
import {
  Catzilla,
  HttpError,
  cookie,
  cors,
  json,
  sse,
  type CzRequest,
  type MaxLength,
  type MinLength,
  type Next,
  type Request,
} from "catzilla";
import { feed, publish } from "./feed.js";

export const app = new Catzilla();

interface Login {
  user: string & MinLength<1> & MaxLength<40>;
  password: string & MinLength<1>;
}
interface NewNote {
  title: string & MinLength<1> & MaxLength<120>;
  body: string & MaxLength<10000>;
}
interface Note {
  id: number;
  owner: string;
  title: string;
  body: string;
  attachment: { name: string; type: string; size: number } | null;
}

// In memory: per process (and per worker with listen({ workers })).
const USERS: Record<string, { password: string; admin: boolean }> = {
  ada: { password: "lovelace", admin: true },
  grace: { password: "hopper", admin: false },
};
const sessions = new Map<string, string>(); // session id → user
const notes: Note[] = [];

// Every response says who served it (sync: a sync route stays sync behind it).
function servedBy(_req: CzRequest, next: Next) {
  const res = next();
  res.headers.set("x-served-by", "catzilla-notes");
  return res;
}

// The signed-in user, or a 401.
function userOf(req: Pick<CzRequest, "cookies">): string {
  const id = req.cookies.session;
  const user = id === undefined ? undefined : sessions.get(id);
  if (user === undefined) throw new HttpError(401, "sign in first");
  return user;
}
function requireAuth(req: CzRequest, next: Next) {
  userOf(req);
  return next();
}
function requireAdmin(req: CzRequest, next: Next) {
  if (!USERS[userOf(req)]!.admin) throw new HttpError(403, "admins only");
  return next();
}

app.use(cors({ origin: ["https://notes.example"], credentials: true }));
app.use(servedBy);
app.onError((err, req) => json({ error: "something went wrong", path: req.path }, { status: 500 }));
app.notFound((req) => ({ missing: req.path }));

// The front-end, served from C (index.html for "/"); the directory is relative to the
// working directory (npm run example:notes runs from the package root).
app.static("/", process.env.NOTES_PUBLIC ?? "examples/notes/public");

app.post("/login", async (req: Request<"/login", { body: Login }>) => {
  const { user, password } = await req.json();
  if (USERS[user]?.password !== password) throw new HttpError(401, "wrong user or password");
  const id = crypto.randomUUID();
  sessions.set(id, user);
  return json(
    { user },
    { headers: { "Set-Cookie": cookie("session", id, { httpOnly: true, sameSite: "Lax", path: "/", maxAge: 3600 }) } },
  );
});

app.post("/logout", (req) => {
  const id = req.cookies.session;
  if (id !== undefined) sessions.delete(id);
  return json({ ok: true }, { headers: { "Set-Cookie": cookie("session", "", { path: "/", maxAge: 0 }) } });
});

app.get("/me", (req) => ({ user: userOf(req) }), { use: [requireAuth] });

app.get("/notes", (req): Note[] => notes.filter((n) => n.owner === userOf(req)), { use: [requireAuth] });

app.post(
  "/notes",
  async (req: Request<"/notes", { body: NewNote }>) => {
    const owner = userOf(req);
    const input = await req.json();
    const note: Note = { id: notes.length + 1, owner, title: input.title, body: input.body, attachment: null };
    notes.push(note);
    publish({ event: "note", id: String(note.id), data: { id: note.id, owner, title: note.title } });
    return json(note, { status: 201 });
  },
  { use: [requireAuth] },
);

// A file for a note: multipart/form-data, parsed as it arrives (the form limits apply).
app.post(
  "/notes/:id(int)/attachment",
  async (req) => {
    const owner = userOf(req);
    const note = notes.find((n) => n.id === req.params.id && n.owner === owner);
    if (note === undefined) throw new HttpError(404, "no such note");
    const form = await req.formData();
    const file = form.get("file");
    if (!(file instanceof File)) throw new HttpError(400, "a file field is required");
    note.attachment = { name: file.name, type: file.type, size: file.size };
    return note.attachment;
  },
  { use: [requireAuth], maxBodyBytes: 8 * 1024 * 1024 },
);

// New notes as they are created, until the client goes.
app.get("/events", (req) => sse(feed(req.signal), { heartbeatMs: 15_000 }));

app.group("/admin", (r) => {
  r.use(requireAdmin);
  r.get("/stats", () => ({ users: Object.keys(USERS).length, sessions: sessions.size, notes: notes.length }));
});
