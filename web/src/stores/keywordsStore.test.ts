import { beforeEach, describe, expect, it } from "vitest";
import { emptyFilters, toQuery, useKeywordsStore } from "./keywordsStore";
import { resetStores, signInAs } from "../test/app";
import { envelope, stubFetch } from "../test/http";

const scope = { siteId: "s1", sectorId: "c1" };
const kw = (id: string) => ({ id, keyword: `kw ${id}`, status: "new", created_at: "2026-12-01T00:00:00Z" });

beforeEach(() => {
  resetStores();
  signInAs("viewer");
});

describe("keywordsStore", () => {
  it("sends only the filters that are set, as the API's query parameters", () => {
    expect(toQuery({ ...emptyFilters, search: " paris ", min_volume: "100", max_difficulty: "x", intent: "commercial" }, "created_at", 50, scope)).toEqual({
      site_id: "s1",
      sector_id: "c1",
      search: "paris",
      status: undefined,
      intent: "commercial",
      min_volume: 100,
      max_volume: undefined,
      min_difficulty: undefined,
      max_difficulty: undefined,
      ordering: "created_at",
      limit: 50,
      cursor: undefined,
    });
  });

  it("pages forward with next_cursor and back with the cursors behind", async () => {
    const pages: Record<string, { results: unknown[]; next_cursor: string | null }> = {
      "": { results: [kw("1"), kw("2")], next_cursor: "c2" },
      c2: { results: [kw("3"), kw("4")], next_cursor: "c3" },
      c3: { results: [kw("5")], next_cursor: null },
    };
    const { calls } = stubFetch((c) => envelope(pages[new URL(c.url, "http://x").searchParams.get("cursor") ?? ""]));
    const s = useKeywordsStore.getState();
    await s.load(scope);
    await s.nextPage(scope);
    await s.nextPage(scope);
    expect(useKeywordsStore.getState()).toMatchObject({ current: "c3", behind: ["", "c2"], next: null });
    expect(useKeywordsStore.getState().rows.map((r) => r.id)).toEqual(["5"]);
    await s.prevPage(scope);
    expect(useKeywordsStore.getState()).toMatchObject({ current: "c2", behind: [""], next: "c3" });
    await s.prevPage(scope);
    expect(useKeywordsStore.getState()).toMatchObject({ current: "", behind: [], next: "c2" });
    expect(calls.map((c) => new URL(c.url, "http://x").searchParams.get("cursor"))).toEqual([null, "c2", "c3", "c2", null]);
  });

  it("a filter change reloads from the first page with the filter", async () => {
    const { calls } = stubFetch(() => envelope({ results: [kw("9")], next_cursor: null }));
    const s = useKeywordsStore.getState();
    s.setFilters({ status: "clustered" });
    await s.load(scope);
    expect(new URL(calls[0].url, "http://x").searchParams.get("status")).toBe("clustered");
  });
});

describe("keywordsStore bulk actions", () => {
  it("sends the selected ids with the site, then reloads the same page", async () => {
    const { calls } = stubFetch((c) =>
      c.method === "POST" ? envelope({ updated: 2, not_found: [] }) : envelope({ results: [kw("1"), kw("2")], next_cursor: null }),
    );
    const s = useKeywordsStore.getState();
    await s.load(scope);
    s.toggleAll();
    expect(useKeywordsStore.getState().selected.size).toBe(2);
    expect(await s.bulk(scope, "archived")).toEqual({ updated: 2, not_found: [] });
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url).toBe("/api/v1/planner/keywords/bulk-update-status");
    expect(post.body).toEqual({ site_id: "s1", ids: ["1", "2"], status: "archived" });
    expect(calls.at(-1)!.method).toBe("GET");
    expect(useKeywordsStore.getState().selected.size).toBe(0);
  });
});
