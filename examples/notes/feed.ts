// The live feed behind GET /events: publish() hands an event to every open feed; a feed is an
// async iterable that ends when its client goes (the request's AbortSignal).
export interface FeedEvent {
  event: string;
  id: string;
  data: unknown;
}

const listeners = new Set<(e: FeedEvent) => void>();

export function publish(e: FeedEvent): void {
  for (const l of listeners) l(e);
}

export async function* feed(signal: AbortSignal): AsyncGenerator<FeedEvent> {
  const queue: FeedEvent[] = [];
  let wake: (() => void) | undefined;
  const listener = (e: FeedEvent) => {
    queue.push(e);
    wake?.();
  };
  const onAbort = () => wake?.();
  listeners.add(listener);
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      const next = queue.shift();
      if (next !== undefined) yield next;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    listeners.delete(listener);
    signal.removeEventListener("abort", onAbort);
  }
}
