/**
 * The matching trie: one node per distinct path prefix (segment by segment); a node has
 * static children, one `:param` child per parameter type (parameter names are per route,
 * so `:id` and `:uid` of one type share a child), routes ending at it, and routes
 * `<prefix>/*` ending at it. Node ids are preorder, children in a fixed order, so the
 * generated C is deterministic.
 */
import { ptypeKey } from "./shared/params.js";
import type { ParamType, PlannedRoute, TrieNode } from "./types.js";

/** Order in which a node tries its typed `:param` children: the most specific first. */
const RANK: Record<ParamType["type"], number> = { enum: 0, int: 1, number: 2, string: 3 };

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildTrie(routes: PlannedRoute[]): TrieNode {
  const root = node("", 0);
  for (const r of routes) {
    let n = root;
    let done = false;
    for (const seg of r.segments) {
      if (seg.type === "wildcard") {
        n.wildcard.push({ method: r.methodNum, route: r.id });
        done = true;
        break;
      }
      if (seg.type === "static") {
        let child = n.statics.find((s) => s.text === seg.text)?.node;
        if (!child) {
          child = node(`${n.label}/${seg.text}`, n.nparams);
          n.statics.push({ text: seg.text, node: child });
        }
        n = child;
      } else {
        const key = ptypeKey(seg.ptype);
        let child = n.params.find((c) => ptypeKey(c.ptype) === key)?.node;
        if (!child) {
          child = node(`${n.label}/:${seg.name}${key === "string" ? "" : `(${key})`}`, n.nparams + 1);
          n.params.push({ ptype: seg.ptype, node: child });
        }
        n = child;
      }
    }
    if (!done) n.terminal.push({ method: r.methodNum, route: r.id });
  }
  let next = 0;
  const finish = (n: TrieNode): void => {
    n.id = next++;
    // By UTF-8 length, then bytes: the order of match()'s binary search (cz__find_edge).
    n.statics.sort((a, b) => {
      const x = Buffer.from(a.text);
      const y = Buffer.from(b.text);
      return x.length - y.length || Buffer.compare(x, y);
    });
    n.terminal.sort((a, b) => a.method - b.method);
    n.wildcard.sort((a, b) => a.method - b.method);
    for (const s of n.statics) finish(s.node);
    n.params.sort((a, b) => RANK[a.ptype.type] - RANK[b.ptype.type] || cmp(ptypeKey(a.ptype), ptypeKey(b.ptype)));
    for (const c of n.params) finish(c.node);
  };
  finish(root);
  return root;
}

function node(label: string, nparams: number): TrieNode {
  return { id: -1, label, nparams, statics: [], params: [], terminal: [], wildcard: [] };
}

export function allNodes(root: TrieNode): TrieNode[] {
  const out: TrieNode[] = [];
  const walk = (n: TrieNode): void => {
    out.push(n);
    for (const s of n.statics) walk(s.node);
    for (const c of n.params) walk(c.node);
  };
  walk(root);
  return out;
}
