// The schema benchmarks' app (bench/schema/): a 10-field NewUser in, typed users out.
import { Catzilla, type Format, type Integer, type MaxLength, type Maximum, type MinLength, type Minimum, type Request } from "catzilla";

export const app = new Catzilla();

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

let next = 1;
const stored: (User & { passwordHash: string })[] = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  name: `User ${i + 1}`,
  email: `user${i + 1}@example.com`,
  role: i % 3 === 0 ? "admin" : i % 3 === 1 ? "member" : "guest",
  active: i % 2 === 0,
  passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
}));

app.post("/users", async (req: Request<"/users", { body: NewUser }>): Promise<User> => {
  const u = await req.json();
  return { id: next++, name: u.name, email: u.email, role: u.role, active: u.active };
});

app.get("/users", (): User[] => stored);
