// The ideas, content and images stores on their own (no page).
import { beforeEach, describe, expect, it } from "vitest";
import { useAuthStore } from "./authStore";
import { useContentStore } from "./contentStore";
import { useIdeasStore } from "./ideasStore";
import { useImagesStore } from "./imagesStore";
import { resetStores, signInAs } from "../test/app";
import { envelope, failure, stubFetch } from "../test/http";

const scope = { siteId: "s1", sectorId: "c1" };
const idea = (id: string, status = "new", task_id: string | null = null) => ({ id, title: id, status, task_id });

beforeEach(() => {
  resetStores();
  signInAs("editor");
});

describe("ideasStore", () => {
  it("sends only the filters that are set and selects only ideas that can still become tasks", async () => {
    const { calls } = stubFetch(() => envelope({ results: [idea("i1"), idea("i2", "queued", "t1"), idea("i3", "archived"), idea("i4")], next_cursor: "n2" }));
    await useIdeasStore.getState().load(scope, { filters: { status: "", structure: "guide", clusterId: "k1" } });
    expect(calls[0].url).toBe("/api/v1/planner/ideas?site_id=s1&sector_id=c1&structure=guide&cluster_id=k1&ordering=-created_at&limit=50");
    useIdeasStore.getState().toggleAll();
    expect([...useIdeasStore.getState().selected]).toEqual(["i1", "i4"]);
    useIdeasStore.getState().toggleAll();
    expect(useIdeasStore.getState().selected.size).toBe(0);
  });

  it("pages on with the cursor and drops selections of ideas no longer listed", async () => {
    let page = 0;
    const { calls } = stubFetch(() => (page++ === 0 ? envelope({ results: [idea("i1"), idea("i2")], next_cursor: "n2" }) : envelope({ results: [idea("i3")], next_cursor: null })));
    await useIdeasStore.getState().load(scope);
    useIdeasStore.getState().toggle("i2");
    await useIdeasStore.getState().load(scope, { more: true });
    expect(calls[1].url).toContain("cursor=n2");
    expect(useIdeasStore.getState().ideas.map((i) => i.id)).toEqual(["i1", "i2", "i3"]);
    expect([...useIdeasStore.getState().selected]).toEqual(["i2"]);
    expect(useIdeasStore.getState().next).toBeNull();
  });

  it("keeps the API's error and sends nothing for an empty bulk selection", async () => {
    const { calls } = stubFetch(() => failure(403, "Your role cannot do this", "FORBIDDEN"));
    expect(await useIdeasStore.getState().bulkCreate(scope)).toBeNull();
    expect(calls).toHaveLength(0);
    useIdeasStore.setState({ selected: new Set(["i1"]) });
    expect(await useIdeasStore.getState().bulkCreate(scope)).toBeNull();
    expect(useIdeasStore.getState().error).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });
});

describe("contentStore", () => {
  it("tells not found (404, or an id the API refuses) from other failures", async () => {
    stubFetch(() => failure(404, "not found", "NOT_FOUND"));
    await useContentStore.getState().open("s1", "w9");
    expect(useContentStore.getState()).toMatchObject({ notFound: true, current: null, articleError: null });
    stubFetch(() => failure(400, "Some fields are invalid", "VALIDATION_ERROR", [{ field: "id", message: "must be an id" }]));
    await useContentStore.getState().open("s1", "not-an-id");
    expect(useContentStore.getState().notFound).toBe(true);
    stubFetch(() => failure(503, "try later", "UNAVAILABLE"));
    await useContentStore.getState().open("s1", "w1");
    expect(useContentStore.getState()).toMatchObject({ notFound: false, articleError: { status: 503 } });
  });

  it("a stale save keeps the article as read and reports the conflict", async () => {
    stubFetch((c) => (c.method === "GET" ? envelope({ id: "w1", title: "A", version: 4, current_version: 2 }) : failure(409, "changed since you read it", "CONFLICT")));
    await useContentStore.getState().open("s1", "w1");
    expect(await useContentStore.getState().save({ title: "B" })).toBeNull();
    expect(useContentStore.getState()).toMatchObject({ current: { title: "A", version: 4 }, saving: false, articleError: { status: 409 } });
  });

  it("nothing of the article is left after sign-out", async () => {
    stubFetch(() => envelope({ id: "w1", title: "Secret", version: 1, current_version: 1 }));
    await useContentStore.getState().open("s1", "w1");
    useImagesStore.setState({ images: [{ id: "img" } as never] });
    useIdeasStore.setState({ ideas: [{ id: "i" } as never], selected: new Set(["i"]) });
    await useAuthStore.getState().signOut();
    expect(useContentStore.getState()).toMatchObject({ current: null, siteId: null, versions: [], images: [] });
    expect(useImagesStore.getState().images).toEqual([]);
    expect(useIdeasStore.getState().ideas).toEqual([]);
    expect(useIdeasStore.getState().selected.size).toBe(0);
  });
});
