import { describe, expect, it } from "vitest";
import { sanitizeHtml } from "./sanitize";

describe("the preview's sanitiser", () => {
  it("keeps the article's structure", () => {
    const html = '<h2>Fit</h2><p>A <strong>snug</strong> <a href="https://example.com/x">heel</a>.</p><ul><li>one</li></ul>';
    expect(sanitizeHtml(html)).toBe('<h2>Fit</h2><p>A <strong>snug</strong> <a href="https://example.com/x" rel="noopener noreferrer nofollow">heel</a>.</p><ul><li>one</li></ul>');
  });
  it("drops scripts, handlers, styles and javascript: URLs", () => {
    const out = sanitizeHtml(
      '<p onclick="alert(1)" style="color:red">hi<script>alert(2)</script></p><img src="x" onerror="alert(3)"><a href="javascript:alert(4)">x</a><iframe src="https://evil"></iframe><svg><g onload="alert(5)"></g></svg>',
    );
    expect(out).toBe('<p>hi</p><img src="x"><a rel="noopener noreferrer nofollow">x</a>');
    expect(out).not.toMatch(/alert|on\w+=|javascript|iframe|style/);
  });
  it("keeps the text of unknown elements", () => {
    expect(sanitizeHtml("<custom-thing>kept <em>text</em></custom-thing>")).toBe("kept <em>text</em>");
  });
});
