import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt, resetStores, signInAs } from "../../test/app";
import { envelope, failure, stubFetch, type Call } from "../../test/http";

const BODY = "<p>Trail running shoes grip where road shoes slip.</p><h2>How we tested</h2><p>On rock and mud.</p><h2>Our picks</h2><p>Three pairs.</p>";
const content = (extra: Record<string, unknown> = {}) => ({
  id: "w1",
  account_id: "a1",
  site_id: "s1",
  sector_id: "c1",
  title: "Best trail running shoes",
  slug: "best-trail-running-shoes",
  body_html: BODY,
  meta_title: "Trail running shoes",
  meta_description: "",
  focus_keyword: "trail running shoes",
  status: "draft",
  current_version: 2,
  version: 5,
  word_count: 17,
  language: "en",
  normalized_title: "best trail running shoes",
  created_by: "u1",
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
  ...extra,
});
const version = (n: number, source: string) => ({ content_id: "w1", number: n, source, title: "Best trail running shoes", word_count: 17, created_by: "u1", created_at: "2026-12-01T00:00:00Z" });

function backend(extra: (c: Call) => Response | null = () => null) {
  return stubFetch((c) => {
    const r = extra(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites/s1/sectors")) return envelope({ results: [{ id: "c1", name: "Trail" }], next_cursor: null });
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [{ id: "s1", name: "Run Blog" }], next_cursor: null });
    if (c.url === "/api/v1/writer/content/w1?site_id=s1") return envelope(content());
    if (c.url.startsWith("/api/v1/writer/content/w1/versions?")) return envelope({ results: [version(2, "edit"), version(1, "generate")], next_cursor: null });
    if (c.url.startsWith("/api/v1/writer/image-prompts?") || c.url.startsWith("/api/v1/writer/images?")) return envelope({ results: [], next_cursor: null });
    return envelope({ total: 50, plan_credits: 50, bonus_credits: 0, plan: "free" });
  });
}

beforeEach(resetStores);

describe("the article editor", () => {
  it("counts meta title/description characters and words as you type, and hints where the keyword is missing", async () => {
    signInAs("editor");
    backend();
    renderAt("/writer/content/w1");
    const metaTitle = await screen.findByLabelText("Meta title");
    expect(screen.getByTestId("a-meta-title-count")).toHaveTextContent("19 / 60 characters · short");
    fireEvent.change(metaTitle, { target: { value: "Trail running shoes: the 12 best pairs we tested" } });
    expect(screen.getByTestId("a-meta-title-count")).toHaveTextContent("48 / 60 characters · good length");
    fireEvent.change(metaTitle, { target: { value: "x".repeat(61) } });
    expect(screen.getByTestId("a-meta-title-count")).toHaveTextContent("61 / 60 characters · too long");
    expect(screen.getByTestId("a-meta-description-count")).toHaveTextContent("0 / 160 characters · empty");

    expect(screen.getByTestId("word-count")).toHaveTextContent("19 words");
    fireEvent.change(screen.getByLabelText("Body (HTML)"), { target: { value: `${BODY}<p>Four more words here.</p>` } });
    expect(screen.getByTestId("word-count")).toHaveTextContent("23 words");

    const hints = screen.getByRole("region", { name: "Keyword placement" });
    expect(within(hints).getByText(/in the first paragraph/).closest("li")).toHaveAttribute("data-ok", "true");
    expect(within(hints).getByText(/in the meta description/).closest("li")).toHaveAttribute("data-ok", "false");
    expect(within(hints).getByText(/in a subheading/).closest("li")).toHaveAttribute("data-ok", "false");
  });

  it("previews the body sanitised: a script typed into the editor is not in the page", async () => {
    signInAs("editor");
    backend();
    renderAt("/writer/content/w1");
    fireEvent.change(await screen.findByLabelText("Body (HTML)"), { target: { value: '<h2>New</h2><img src=x onerror="window.__x=1"><script>window.__y=1</script>' } });
    const preview = screen.getByRole("region", { name: "Preview" });
    expect(within(preview).getByRole("heading", { name: "New" })).toBeInTheDocument();
    expect(preview.innerHTML).not.toMatch(/onerror|script/);
  });

  it("saves an edit with the version it was made on and shows the new version; a conflict shows the API's reason", async () => {
    signInAs("editor");
    let saves = 0;
    const { calls } = backend((c) => {
      if (c.method === "PATCH") {
        saves++;
        return saves === 1 ? envelope(content({ title: "Trail shoes, tested", current_version: 3, version: 6 })) : failure(409, "the content changed since you read it", "CONFLICT");
      }
      return null;
    });
    renderAt("/writer/content/w1");
    const save = await screen.findByRole("button", { name: "Save" });
    expect(save).toBeDisabled();
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Trail shoes, tested" } });
    fireEvent.change(screen.getByLabelText("Note for this version"), { target: { value: "shorter title" } });
    fireEvent.click(save);
    expect(await screen.findByRole("status")).toHaveTextContent("Saved as version 3.");
    expect(calls.find((c) => c.method === "PATCH")).toMatchObject({
      url: "/api/v1/writer/content/w1?site_id=s1",
      body: { title: "Trail shoes, tested", version: 5, site_id: "s1", note: "shorter title", focus_keyword: "trail running shoes" },
    });
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Again" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the content changed since you read it");
    expect(calls.filter((c) => c.method === "PATCH")[1].body).toMatchObject({ version: 6 });
  });

  it("regenerates one section: the cost first, then the job, then the article is read again", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.url.endsWith("/regenerate")) {
        return (c.body as { dry_run: boolean }).dry_run
          ? envelope({ dry_run: true, estimated_credits: 2, function: "generate_content", would_run: {} })
          : envelope({ id: "j7", kind: "generate_content", status: "queued", phase: "Initializing", progress: 0 }, 202);
      }
      if (c.url === "/api/v1/jobs/j7") return envelope({ id: "j7", kind: "generate_content", status: "completed", phase: "Completed", progress: 100 });
      return null;
    });
    renderAt("/writer/content/w1");
    fireEvent.change(await screen.findByLabelText("Section"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Regenerate section…" }));
    expect(await screen.findByRole("group", { name: "Confirm Regenerate section" })).toHaveTextContent("Regenerate section 2 (“Our picks”) for 2 credits?");
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    const modal = await screen.findByRole("dialog", { name: "Regenerate section" });
    await waitFor(() => expect(within(modal).getByTestId("job-message")).toHaveTextContent("100% · Completed"));
    expect(calls.filter((c) => c.url.endsWith("/regenerate")).map((c) => c.body)).toEqual([
      { site_id: "s1", mode: "regenerate", section: 2, instructions: null, dry_run: true },
      { site_id: "s1", mode: "regenerate", section: 2, instructions: null, dry_run: false },
    ]);
    await waitFor(() => expect(calls.filter((c) => c.url === "/api/v1/writer/content/w1?site_id=s1").length).toBe(2));
  });

  it("compares two versions side by side and restores an older one", async () => {
    signInAs("editor");
    const { calls } = backend((c) => {
      if (c.url.startsWith("/api/v1/writer/content/w1/versions/diff"))
        return envelope({
          content_id: "w1",
          from: version(1, "generate"),
          to: version(2, "edit"),
          mode: "html",
          title_changed: false,
          unified: "",
          stats: { lines_added: 1, lines_removed: 1, lines_unchanged: 1, similarity: 0.5, words_added: 1, words_removed: 1 },
          lines: [
            { op: "equal", value: "<h2>How we tested</h2>", old_line: 1, new_line: 1 },
            { op: "delete", value: "<p>On wet rock.</p>", old_line: 2, new_line: null },
            { op: "insert", value: "<p>On dry rock.</p>", old_line: null, new_line: 2 },
          ],
        });
      if (c.url.includes("/versions/1/restore")) return envelope(content({ current_version: 3, version: 6 }));
      return null;
    });
    renderAt("/writer/content/w1");
    fireEvent.click(await screen.findByRole("tab", { name: "Versions" }));
    const list = await screen.findByRole("region", { name: "Versions list" });
    await within(list).findByText("generate");
    fireEvent.click(screen.getByRole("button", { name: "Compare" }));
    const diff = await screen.findByRole("region", { name: "Side by side" });
    expect(calls.find((c) => c.url.includes("/versions/diff"))?.url).toBe("/api/v1/writer/content/w1/versions/diff?site_id=s1&from=1&to=2&mode=html");
    const rows = within(diff).getAllByRole("row").slice(1);
    expect(rows.map((r) => r.getAttribute("data-kind"))).toEqual(["equal", "change"]);
    expect(rows[1].querySelector("del")?.textContent).toBe("wet");
    expect(rows[1].querySelector("ins")?.textContent).toBe("dry");
    expect(screen.getByTestId("diff-stats")).toHaveTextContent("v1 → v2: 1 lines added, 1 removed");

    fireEvent.click(within(list).getByRole("button", { name: "Restore v1" }));
    await waitFor(() => expect(calls.some((c) => c.url.includes("/versions/1/restore"))).toBe(true));
    expect(calls.find((c) => c.url.includes("/versions/1/restore"))).toMatchObject({ method: "POST", url: "/api/v1/writer/content/w1/versions/1/restore?site_id=s1", body: { site_id: "s1", version: 5 } });
    // The page now shows the restored text as the newest version, and reads the list again.
    expect(await screen.findByText(/draft · version 3 ·/)).toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c.url.startsWith("/api/v1/writer/content/w1/versions?")).length).toBe(2));
  });

  it("lists image prompts and images, and sets one as featured", async () => {
    signInAs("editor");
    const image = { id: "img1", content_id: "w1", kind: "featured", position: 0, url: "https://assets.example/img1.png?sig=1", url_expires_at: "2026-12-02T01:00:00Z", alt_text: "Shoes on rock", width: 1024, height: 576, prompt: "shoes", cost: 1 };
    const { calls } = backend((c) => {
      if (c.url.startsWith("/api/v1/writer/image-prompts?"))
        return envelope({ results: [{ id: "p2", kind: "section", position: 1, section_heading: "How we tested", prompt: "A runner on mud", alt_text: "Runner" }, { id: "p1", kind: "featured", position: 0, prompt: "Shoes on a rock", alt_text: "Shoes" }], next_cursor: null });
      if (c.url.startsWith("/api/v1/writer/images?")) return envelope({ results: [image], next_cursor: null });
      if (c.url.endsWith("/set-featured?site_id=s1")) return envelope(content({ featured_image_id: "img1", version: 6 }));
      return null;
    });
    renderAt("/writer/content/w1");
    fireEvent.click(await screen.findByRole("tab", { name: "Images" }));
    const prompts = await screen.findByRole("region", { name: "Image prompts" });
    await within(prompts).findByText("Shoes on a rock");
    expect(within(prompts).getAllByRole("listitem").map((li) => li.firstChild?.textContent)).toEqual(["Featured image", "Section 1: How we tested"]);
    expect(screen.getByRole("button", { name: "Generate images…" })).toBeInTheDocument();
    const gallery = screen.getByRole("region", { name: "Article images" });
    expect(within(gallery).getByRole("img", { name: "Shoes on rock" })).toHaveAttribute("src", image.url);
    fireEvent.click(within(gallery).getByRole("button", { name: "Set as featured" }));
    expect(await within(gallery).findByText("Featured image")).toBeInTheDocument();
    expect(calls.find((c) => c.url.includes("/set-featured"))).toMatchObject({ url: "/api/v1/writer/images/img1/set-featured?site_id=s1", body: { site_id: "s1", version: 5 } });
  });

  it("a viewer reads the article, its versions and images with no write action", async () => {
    signInAs("viewer");
    backend();
    renderAt("/writer/content/w1");
    expect(await screen.findByLabelText("Title")).toHaveAttribute("readonly");
    expect(screen.queryByRole("button", { name: /Save|Regenerate|Discard/ })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole("tab", { name: "Versions" }));
    await within(await screen.findByRole("region", { name: "Versions list" })).findByText("generate");
    expect(screen.queryByRole("button", { name: /Restore/ })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole("tab", { name: "Images" }));
    await screen.findByRole("region", { name: "Image prompts" });
    expect(screen.queryByRole("button", { name: /Generate|featured/ })).not.toBeInTheDocument();
  });

  it("an id that is not this account's shows not found, not an error", async () => {
    signInAs("editor");
    backend((c) => (c.url.startsWith("/api/v1/writer/content/other") ? failure(404, "content not found", "NOT_FOUND") : null));
    renderAt("/writer/content/other");
    expect(await screen.findByRole("heading", { name: "Not found" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("There is no article at this address in your workspace.");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("any other failure is shown as the error it is", async () => {
    signInAs("editor");
    backend((c) => (c.url.startsWith("/api/v1/writer/content/w1?") ? failure(500, "internal error", "INTERNAL") : null));
    renderAt("/writer/content/w1");
    expect(await screen.findByRole("alert")).toHaveTextContent("internal error");
    expect(screen.queryByRole("heading", { name: "Not found" })).not.toBeInTheDocument();
  });
});
