// Image decoding (sharp) runs in libuv's threads while the main thread computes: loading a group
// of files at once, and the next group while the caller works on the current one, keeps both
// cores busy where one loop awaited one file at a time.

/**
 * Yields `load` of each group's items, group after group, in order; the next group is started
 * before the current one is handed out. A failure is thrown when its group is reached (the first
 * failing item in order); a group started ahead and never reached is never an unhandled rejection.
 */
export async function* loadAhead<T, R>(groups: T[][], load: (item: T) => Promise<R>): AsyncGenerator<R[]> {
  const start = (group: T[]) => Promise.allSettled(group.map(load));
  let next = groups.length > 0 ? start(groups[0]) : undefined;
  for (let k = 0; k < groups.length; k++) {
    const settled = await next!;
    next = k + 1 < groups.length ? start(groups[k + 1]) : undefined;
    yield settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
  }
}

/** The items in groups of `size` (the last may be shorter). */
export function groupsOf<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, k) => items.slice(k * size, (k + 1) * size));
}

/** loadAhead over `items` in groups of `size`, one result at a time, in order. */
export async function* eachLoadedAhead<T, R>(items: T[], size: number, load: (item: T) => Promise<R>): AsyncGenerator<R> {
  for await (const group of loadAhead(groupsOf(items, size), load)) yield* group;
}
