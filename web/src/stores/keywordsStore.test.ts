import { beforeEach, describe, expect, it } from "vitest";
import { emptyFilters, toQuery, useKeywordsStore } from "./keywordsStore";
import { resetStores, signInAs } from "../test/app";
import { envelope, failure, stubFetch } from "../test/http";

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

  it("infinite scroll: loadMore appends the next cursor page; a reload starts over", async () => {
    const pages: Record<string, { results: unknown[]; next_cursor: string | null }> = {
      "": { results: [kw("1"), kw("2")], next_cursor: "c2" },
      c2: { results: [kw("3"), kw("4")], next_cursor: "c3" },
      c3: { results: [kw("5")], next_cursor: null },
    };
    const { calls } = stubFetch((c) => envelope(pages[new URL(c.url, "http://x").searchParams.get("cursor") ?? ""]));
    const s = useKeywordsStore.getState();
    await s.load(scope);
    s.toggle("1");
    await s.loadMore(scope);
    await s.loadMore(scope);
    expect(useKeywordsStore.getState().rows.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5"]);
    expect(useKeywordsStore.getState()).toMatchObject({ next: null });
    expect([...useKeywordsStore.getState().selected]).toEqual(["1"]); // selection survives more rows
    await s.loadMore(scope); // nothing more: no request
    expect(calls.map((c) => new URL(c.url, "http://x").searchParams.get("cursor"))).toEqual([null, "c2", "c3"]);
    await s.load(scope);
    expect(useKeywordsStore.getState().rows.map((r) => r.id)).toEqual(["1", "2"]);
    expect(useKeywordsStore.getState().selected.size).toBe(0);
  });

  it("a reload started while a page is loading wins over that page", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    stubFetch(async (c) => {
      const cursor = new URL(c.url, "http://x").searchParams.get("cursor");
      if (cursor === "c2") {
        await gate;
        return envelope({ results: [kw("stale")], next_cursor: null });
      }
      return envelope({ results: [kw("1")], next_cursor: "c2" });
    });
    const s = useKeywordsStore.getState();
    await s.load(scope);
    const more = s.loadMore(scope);
    const fresh = s.load(scope);
    release();
    await Promise.all([more, fresh]);
    expect(useKeywordsStore.getState().rows.map((r) => r.id)).toEqual(["1"]);
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
  it("sends the selected ids with the site and applies the result to the loaded rows without reloading", async () => {
    const { calls } = stubFetch((c) =>
      c.method === "POST" ? envelope({ updated: 2, not_found: [] }) : envelope({ results: [kw("1"), kw("2"), kw("3")], next_cursor: null }),
    );
    const s = useKeywordsStore.getState();
    await s.load(scope);
    s.toggle("1");
    s.toggle("2");
    expect(await s.bulk(scope, "archived")).toEqual({ updated: 2, not_found: [] });
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url).toBe("/api/v1/planner/keywords/bulk-update-status");
    expect(post.body).toEqual({ site_id: "s1", ids: ["1", "2"], status: "archived" });
    expect(calls.at(-1)!.method).toBe("POST"); // no reload of 10,000 rows
    expect(useKeywordsStore.getState().rows.map((r) => [r.id, r.status])).toEqual([
      ["1", "archived"],
      ["2", "archived"],
      ["3", "new"],
    ]);
    expect(useKeywordsStore.getState().selected.size).toBe(0);
  });

  it("works across every loaded row: 1,200 selected go in chunks of 500; deleted and vanished rows leave", async () => {
    const many = Array.from({ length: 1200 }, (_, i) => kw(String(i)));
    const { calls } = stubFetch((c) => {
      if (c.method === "POST") {
        const ids = (c.body as { ids: string[] }).ids;
        return envelope({ updated: ids.length - (ids.includes("7") ? 1 : 0), not_found: ids.includes("7") ? ["7"] : [] });
      }
      return envelope({ results: many, next_cursor: null });
    });
    const s = useKeywordsStore.getState();
    await s.load(scope);
    s.toggleAll();
    s.toggle("1199"); // all but one
    expect(await s.bulk(scope, "delete")).toEqual({ updated: 1198, not_found: ["7"] });
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => [c.url, (c.body as { ids: string[] }).ids.length])).toEqual([
      ["/api/v1/planner/keywords/bulk-delete", 500],
      ["/api/v1/planner/keywords/bulk-delete", 500],
      ["/api/v1/planner/keywords/bulk-delete", 199],
    ]);
    expect(useKeywordsStore.getState().rows.map((r) => r.id)).toEqual(["1199"]);
  });

  it("a status change under a status filter drops the rows that no longer match; a failed chunk stays selected", async () => {
    let posts = 0;
    stubFetch((c) => {
      if (c.method === "POST") {
        posts++;
        return posts === 1 ? envelope({ updated: 500, not_found: [] }) : failure(429, "Slow down", "RATE_LIMITED");
      }
      return envelope({ results: Array.from({ length: 600 }, (_, i) => kw(String(i))), next_cursor: null });
    });
    const s = useKeywordsStore.getState();
    s.setFilters({ status: "new" });
    await s.load(scope);
    s.toggleAll();
    expect(await s.bulk(scope, "clustered")).toBeNull();
    const st = useKeywordsStore.getState();
    expect(st.rows).toHaveLength(100); // the first 500 became clustered: filtered out
    expect(st.selected.size).toBe(100); // the refused chunk can be retried
    expect(st.error?.code).toBe("RATE_LIMITED");
  });
});
