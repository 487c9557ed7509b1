import { describe, expect, it } from "vitest";
import { counter, keywordHints, META_DESCRIPTION, META_TITLE, occurrences, wordCount } from "./seo";

describe("wordCount", () => {
  it("counts the words of the text, not the tags or entities", () => {
    expect(wordCount("<h2>Why trail shoes</h2><p>They grip&nbsp;better &amp; last.</p>")).toBe(7); // "&" is not a word (the API's html::word_count rule)
    expect(wordCount("<p> </p>")).toBe(0);
    expect(wordCount("<script>var a = 1;</script><p>one</p>")).toBe(1);
  });
});

describe("counter", () => {
  it("says empty, short, good or too long against the range", () => {
    expect(counter("", META_TITLE).verdict).toBe("empty");
    expect(counter("Trail shoes", META_TITLE)).toEqual({ length: 11, verdict: "short", label: "11 / 60 characters" });
    expect(counter("x".repeat(45), META_TITLE).verdict).toBe("ok");
    expect(counter("x".repeat(161), META_DESCRIPTION).verdict).toBe("long");
    // Characters, not UTF-16 units.
    expect(counter("é🥾", META_TITLE).length).toBe(2);
  });
});

describe("keyword placement", () => {
  const draft = {
    title: "Best Trail Running Shoes for 2027",
    meta_title: "Trail running shoes: our picks",
    meta_description: "We tested twelve pairs on rock and mud.",
    slug: "best-trail-running-shoes",
    body_html: "<p>Trail running shoes grip where road shoes slip.</p><h2>How we tested</h2><p>On rock and mud, for months.</p>",
  };
  it("says where the focus keyword is and is not", () => {
    const hints = keywordHints(draft, "trail running shoes");
    const ok = Object.fromEntries(hints.map((h) => [h.id, h.ok]));
    expect(ok).toEqual({ title: true, meta_title: true, meta_description: false, intro: true, heading: false, slug: true, density: false });
    expect(hints.find((h) => h.id === "density")?.text).toMatch(/^used 1 time \(/);
  });
  it("matches whole words only and gives no hints without a keyword", () => {
    expect(occurrences("shoes and shoestring", "shoe")).toBe(0);
    expect(occurrences("Shoes, shoes!", "shoes")).toBe(2);
    expect(keywordHints(draft, "  ")).toEqual([]);
  });
});
