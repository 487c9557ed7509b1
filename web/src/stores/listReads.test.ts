// Switching sector (or site) while a list is loading: the older read may
// answer last. Every scoped list store keeps the newest read's rows, error and
// loading flag, whatever order the answers come in (the browser suite once
// showed the previous sector's clusters under the new sector's name).
import { beforeEach, describe, expect, it } from "vitest";
import { resetStores, signInAs } from "../test/app";
import { envelope, failure, stubFetch } from "../test/http";
import { latestOnly } from "./latest";
import { useClustersStore } from "./clustersStore";
import { useContentStore } from "./contentStore";
import { useIdeasStore } from "./ideasStore";
import { useImagesStore } from "./imagesStore";
import { useKeywordsStore } from "./keywordsStore";
import { useTasksStore } from "./tasksStore";

beforeEach(() => {
  resetStores();
  signInAs("viewer");
});

const OLD = { siteId: "s1", sectorId: "old" };
const NEW = { siteId: "s1", sectorId: "new" };

/** Answers the `old` sector (or site s-old) only once released, with a row
 *  named after it (or an error); the `new` one at once. */
function gatedFetch(oldAnswer: "rows" | "error" = "rows") {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const { calls } = stubFetch(async (c) => {
    const q = new URL(c.url, "http://x").searchParams;
    const which = q.get("sector_id") ?? q.get("site_id");
    if (which === "old" || which === "s-old") {
      await gate;
      if (oldAnswer === "error") return failure(500, "old read failed", "INTERNAL");
      return envelope({ results: [{ id: "from-old" }], next_cursor: null });
    }
    return envelope({ results: [{ id: "from-new" }], next_cursor: null });
  });
  return { release, calls };
}

type Case = [string, () => Promise<unknown>, () => Promise<unknown>, () => { rows: { id: string }[]; loading: boolean; error: unknown }];

const cases: Case[] = [
  ["clusters", () => useClustersStore.getState().load(OLD), () => useClustersStore.getState().load(NEW), () => ({ ...useClustersStore.getState(), rows: useClustersStore.getState().clusters })],
  ["ideas", () => useIdeasStore.getState().load(OLD), () => useIdeasStore.getState().load(NEW), () => ({ ...useIdeasStore.getState(), rows: useIdeasStore.getState().ideas })],
  ["tasks", () => useTasksStore.getState().load(OLD), () => useTasksStore.getState().load(NEW), () => ({ ...useTasksStore.getState(), rows: useTasksStore.getState().tasks })],
  ["content", () => useContentStore.getState().load(OLD), () => useContentStore.getState().load(NEW), () => ({ ...useContentStore.getState(), rows: useContentStore.getState().items })],
  ["images", () => useImagesStore.getState().load("s-old"), () => useImagesStore.getState().load("s-new"), () => ({ ...useImagesStore.getState(), rows: useImagesStore.getState().images })],
  ["keywords", () => useKeywordsStore.getState().load(OLD), () => useKeywordsStore.getState().load(NEW), () => useKeywordsStore.getState()],
];

describe("scoped list reads: the newest read wins", () => {
  for (const [name, loadOld, loadNew, state] of cases) {
    it(`${name}: the previous sector's late rows are dropped`, async () => {
      const { release, calls } = gatedFetch();
      const older = loadOld();
      await loadNew();
      expect(state().rows.map((r) => r.id)).toEqual(["from-new"]);
      release();
      await older;
      expect(calls).toHaveLength(2);
      expect(state().rows.map((r) => r.id)).toEqual(["from-new"]);
      expect(state().loading).toBe(false);
      expect(state().error).toBeNull();
    });

    it(`${name}: the previous sector's late error is dropped too`, async () => {
      const { release } = gatedFetch("error");
      const older = loadOld();
      await loadNew();
      release();
      await older;
      expect(state().rows.map((r) => r.id)).toEqual(["from-new"]);
      expect(state().error).toBeNull();
    });
  }

  it("latestOnly: only the newest begun read is current", () => {
    const begin = latestOnly();
    const first = begin();
    expect(first()).toBe(true);
    const second = begin();
    expect([first(), second()]).toEqual([false, true]);
    const other = latestOnly()(); // another store's counter is independent
    expect([second(), other()]).toEqual([true, true]);
  });
});
