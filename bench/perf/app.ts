// The end-to-end app of bench/perf/run.mjs (issues 11 and 12, "Measured"): the same four
// routes as bench/perf/servers.mjs serves on node:http, Fastify and Bun.serve.
//   GET  /json    a small object (the plain route: must not regress)
//   POST /body    a 1 KB JSON body parsed (`await req.json()`), a small object answered
//   GET  /users   100 typed users (8 KB) through the generated serializer (filters passwordHash)
//   POST /users   a valid 10-field NewUser through the generated validation
import { Catzilla, type Format, type Integer, type MaxLength, type Maximum, type MinLength, type Minimum, type Request } from "catzilla";

// NewUser and User are also what bench/schema/micro.mjs measures validation and serialization of.
export interface NewUser {
  name: string & MinLength<1> & MaxLength<80>;
  email: string & Format<"email">;
  age: number & Integer & Minimum<0> & Maximum<150>;
  role: "admin" | "member" | "guest";
  tags: string[];
  active: boolean;
  score: number & Minimum<0>;
  country: string & MinLength<2> & MaxLength<2>;
  bio?: string & MaxLength<500>;
  website?: string & Format<"uri">;
}

export interface User {
  id: number;
  name: string;
  email: string;
  role: "admin" | "member" | "guest";
  active: boolean;
}

export const app = new Catzilla();

interface Order {
  orderId: string;
  items: { qty: number; price: number }[];
}

const stored: (User & { passwordHash: string })[] = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  name: `User ${i + 1}`,
  email: `user${i + 1}@example.com`,
  role: i % 3 === 0 ? "admin" : i % 3 === 1 ? "member" : "guest",
  active: i % 2 === 0,
  passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
}));
let next = 1;

app.get("/json", () => ({ message: "Hello, World!" }));

app.post("/body", async (req) => {
  const order = (await req.json()) as Order;
  return { id: order.orderId, count: order.items.length };
});

app.get("/users", (): User[] => stored);

app.post("/users", async (req: Request<"/users", { body: NewUser }>): Promise<User> => {
  const u = await req.json();
  return { id: next++, name: u.name, email: u.email, role: u.role, active: u.active };
});
