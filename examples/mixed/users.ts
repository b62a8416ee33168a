import { HttpError } from "catzilla";

export interface User {
  id: string;
  name: string;
}

const users = new Map<string, User>([
  ["1", { id: "1", name: "Ada" }],
  ["2", { id: "2", name: "Linus" }],
]);

/** Looks a user up "remotely": returns a promise, so routes using it are async. */
export async function getUser(id: string): Promise<User> {
  await Promise.resolve();
  const user = users.get(id);
  if (user === undefined) throw new HttpError(404, `no user ${id}`);
  return user;
}
