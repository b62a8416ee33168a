// bench/perf/app.ts's NewUser and User written with typia's tags, for bench/schema/micro.mjs;
// bench/schema/typia-setup.sh turns this into plain JS with `typia generate` (no transformer at run time).
import typia, { tags } from "typia";

export interface NewUser {
  name: string & tags.MinLength<1> & tags.MaxLength<80>;
  email: string & tags.Format<"email">;
  age: number & tags.Type<"int64"> & tags.Minimum<0> & tags.Maximum<150>;
  role: "admin" | "member" | "guest";
  tags: string[];
  active: boolean;
  score: number & tags.Minimum<0>;
  country: string & tags.MinLength<2> & tags.MaxLength<2>;
  bio?: string & tags.MaxLength<500>;
  website?: string & tags.Format<"uri">;
}

export interface User {
  id: number;
  name: string;
  email: string;
  role: "admin" | "member" | "guest";
  active: boolean;
}

export const isNewUser = typia.createIs<NewUser>();
export const validateNewUser = typia.createValidate<NewUser>();
export const stringifyUsers = typia.json.createStringify<User[]>();
