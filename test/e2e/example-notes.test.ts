// examples/notes, the service README points to, compiled and served as a user would, and
// called as its front-end would: login cookie, auth middleware, typed bodies, an upload,
// the static front-end from C, the SSE feed, CORS, the admin group, notFound.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningApp } from "../helpers/app.js";

describe("examples/notes", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await serve("examples/notes/.catzilla");
  });
  afterAll(async () => {
    await app?.stop();
  });

  const login = async (user: string, password: string) => {
    const res = await fetch(`${app.url}/login`, { method: "POST", body: JSON.stringify({ user, password }) });
    const setCookie = res.headers.getSetCookie();
    return { res, cookie: setCookie[0]?.split(";")[0] ?? "" };
  };

  it("serves the front-end from C, with the middleware header only on app routes", async () => {
    const index = await fetch(`${app.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await index.text()).toContain("<h1>Notes</h1>");
    const css = await fetch(`${app.url}/style.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect(css.headers.get("etag")).toMatch(/^"/);
    const again = await fetch(`${app.url}/style.css`, { headers: { "if-none-match": css.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("a login sets an HttpOnly session cookie; without it the notes are 401", async () => {
    expect((await fetch(`${app.url}/me`)).status).toBe(401);
    const bad = await login("ada", "nope");
    expect(bad.res.status).toBe(401);
    expect(await bad.res.json()).toEqual({ error: "wrong user or password" });
    const { res, cookie } = await login("ada", "lovelace");
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/^session=[0-9a-f-]+; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(res.headers.get("x-served-by")).toBe("catzilla-notes");
    expect(await (await fetch(`${app.url}/me`, { headers: { cookie } })).json()).toEqual({ user: "ada" });
  });

  it("notes: a typed body is validated (400 problem+json) and the list is the owner's", async () => {
    const { cookie } = await login("grace", "hopper");
    const invalid = await fetch(`${app.url}/notes`, { method: "POST", headers: { cookie }, body: JSON.stringify({ title: "" }) });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toBe("application/problem+json");
    const created = await fetch(`${app.url}/notes`, {
      method: "POST",
      headers: { cookie },
      body: JSON.stringify({ title: "groceries", body: "milk" }),
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: number; owner: string };
    expect(note).toMatchObject({ owner: "grace", title: "groceries", attachment: null });
    const list = (await (await fetch(`${app.url}/notes`, { headers: { cookie } })).json()) as { id: number }[];
    expect(list.map((n) => n.id)).toContain(note.id);
    const other = await login("ada", "lovelace");
    const hers = (await (await fetch(`${app.url}/notes`, { headers: { cookie: other.cookie } })).json()) as { owner: string }[];
    expect(hers.every((n) => n.owner === "ada")).toBe(true);
  });

  it("an attachment upload (multipart) is stored with its name, type and size", async () => {
    const { cookie } = await login("grace", "hopper");
    const created = await fetch(`${app.url}/notes`, { method: "POST", headers: { cookie }, body: JSON.stringify({ title: "t", body: "b" }) });
    const { id } = (await created.json()) as { id: number };
    const form = new FormData();
    form.append("file", new File([new Uint8Array(100_000).fill(7)], "photo.png", { type: "image/png" }));
    const up = await fetch(`${app.url}/notes/${id}/attachment`, { method: "POST", headers: { cookie }, body: form });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ name: "photo.png", type: "image/png", size: 100_000 });
    const wrongType = await fetch(`${app.url}/notes/${id}/attachment`, { method: "POST", headers: { cookie }, body: "x" });
    expect(wrongType.status).toBe(415);
    expect((await fetch(`${app.url}/me`, { headers: { cookie } })).status).toBe(200);
  });

  it("the SSE feed sends a created note to an open client", async () => {
    const ac = new AbortController();
    const events = await fetch(`${app.url}/events`, { signal: ac.signal });
    expect(events.headers.get("content-type")).toBe("text/event-stream");
    // A sync middleware changed the streamed response's headers before its head was written.
    expect(events.headers.get("x-served-by")).toBe("catzilla-notes");
    const reader = events.body!.getReader();
    const { cookie } = await login("ada", "lovelace");
    await fetch(`${app.url}/notes`, { method: "POST", headers: { cookie }, body: JSON.stringify({ title: "live!", body: "" }) });
    let text = "";
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ac.abort();
    expect(text).toMatch(/^event: note\nid: \d+\ndata: \{"id":\d+,"owner":"ada","title":"live!"\}\n\n/);
  });

  it("CORS: a preflight from the allowed origin is answered; another origin gets no CORS headers", async () => {
    const pre = await fetch(`${app.url}/notes`, {
      method: "OPTIONS",
      headers: { origin: "https://notes.example", "access-control-request-method": "POST" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://notes.example");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await fetch(`${app.url}/me`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBe(null);
  });

  it("the admin group is for admins; unknown paths go to notFound", async () => {
    const grace = await login("grace", "hopper");
    expect((await fetch(`${app.url}/admin/stats`, { headers: { cookie: grace.cookie } })).status).toBe(403);
    const ada = await login("ada", "lovelace");
    const stats = await fetch(`${app.url}/admin/stats`, { headers: { cookie: ada.cookie } });
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ users: 2 });
    const missing = await fetch(`${app.url}/api/nothing`);
    expect(missing.status).toBe(404);
  });
});
