// The content team's whole walk in the browser against the real backend
// (local gateway, emulator, offline AI provider), on a team that registers in
// the browser: register (no credits yet; the shell's banner says why, Resend
// mails a new link) → the local mail viewer (the gateway's /_dev/mail, never in
// AWS) → the older link fails on /verify-email, the newest one verifies and
// grants the free credits → site and sector on Settings → import the Semrush
// fixture → auto-cluster → ideas → task → article → edit → versions diff →
// image prompts → images → the credits page shows each charge. Then a viewer
// of that team sees no write action on these pages, and another team (the
// seeded demo team) opening this team's article by its URL gets "not found".
// axe on every page; screenshots at 1280×800.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

const FIXTURE = new URL("../../tests/fixtures/keywords/semrush_keyword_magic.csv", import.meta.url).pathname;
declare const process: { env: Record<string, string | undefined> };
const SHOTS = process.env.IGNY8_SCREENSHOTS ?? new URL("../../docs/screenshots", import.meta.url).pathname;
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png` });

async function accessible(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function token(request: APIRequestContext, email: string, password: string): Promise<string> {
  const res = await request.post("/api/v1/auth/login", { data: { email, password } });
  expect(res.status()).toBe(200);
  return (await res.json()).data.tokens.access as string;
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Runs an AI action: the dry-run cost, Run, the ProgressModal to Completed. */
async function runJob(page: Page, label: string, opts: { close?: boolean; shotName?: string } = {}) {
  await page.getByRole("button", { name: `${label}…` }).first().click();
  const confirm = page.getByRole("group", { name: `Confirm ${label}` });
  await expect(confirm).toContainText(/for [\d.]+ credits\?/);
  await confirm.getByRole("button", { name: "Run" }).click();
  if (opts.close === false) return;
  const modal = page.getByRole("dialog", { name: label });
  await expect(modal.getByTestId("job-message")).toHaveText("100% · Completed", { timeout: 60_000 });
  if (opts.shotName) {
    await shot(page, opts.shotName);
    await accessible(page, `${label} progress`);
  }
  await modal.getByRole("button", { name: "Close" }).click();
}

const DEMO = { email: "demo@igny8.local", password: "Demo-pass-2026" };

test("a new team registers, verifies its email, and goes from keywords to an illustrated, edited article, paying for each step", async ({ page, request }) => {
  test.setTimeout(420_000);
  const stamp = Date.now();
  const team = { email: `walk-${stamp}@example.com`, password: "Walk-pass-2026!", name: "Wendy Walker", account: "Walk Media" };

  // A new team registers in the browser. Until its owner verifies the email
  // it has no credits, and the shell says so with a way to a new link.
  await page.goto("/register");
  await page.getByLabel("Your name").fill(team.name);
  await page.getByLabel("Team or company").fill(team.account);
  await page.getByLabel("Email").fill(team.email);
  await page.getByLabel("Password").fill(team.password);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByText("No site yet")).toBeVisible();
  const banner = page.getByRole("region", { name: "Email verification" });
  await expect(banner).toContainText(`Confirm your email address to receive your free plan credits: open the link we sent to ${team.email}.`);
  await expect(page.getByText("0 credits", { exact: true })).toBeVisible();
  await shot(page, "verify-email-banner");
  await accessible(page, "the shell with the verification banner");
  await banner.getByRole("button", { name: "Resend" }).click();
  await expect(banner).toContainText(`A new link was sent to ${team.email}.`);

  // The local mail viewer: both verification mails, the newest first.
  const mailbox = `/_dev/mail?to=${encodeURIComponent(team.email)}`;
  await page.goto(mailbox);
  await expect(page.getByText(`2 mails to ${team.email}, newest first.`)).toBeVisible();
  const mails = page.getByRole("list", { name: `Mail to ${team.email}` }).getByRole("listitem");
  await expect(mails).toHaveCount(2);
  await expect(mails.first()).toContainText("Confirm your email address to receive your free plan credits");
  await shot(page, "local-mail");
  await accessible(page, "local mail viewer");

  // The first link was replaced by the resend: the page shows the API's
  // error and, to the signed-in owner, the way to a new link.
  await mails.nth(1).getByRole("link", { name: /^\/verify-email\?token=/ }).click();
  await expect(page.getByRole("heading", { name: "This link did not work" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("invalid or expired");
  await expect(page.getByRole("button", { name: "Send a new link" })).toBeVisible();
  await shot(page, "verify-email-failed");
  await accessible(page, "verify email: a replaced link");

  // The newest link verifies: the free credits arrive.
  await page.goto(mailbox);
  await mails.first().getByRole("link", { name: /^\/verify-email\?token=/ }).click();
  await expect(page.getByRole("heading", { name: "Email address confirmed" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText(`100 free plan credits were added to ${team.account}.`);
  await shot(page, "verify-email");
  await accessible(page, "verify email: confirmed");
  await page.getByRole("link", { name: "Go to your workspace" }).click();
  await expect(page.getByText("100 credits", { exact: true })).toBeVisible();
  await expect(banner).toHaveCount(0);

  // Site and sector, made on the Settings page.
  const nav = page.getByRole("navigation", { name: "Main" });
  const site = "Trail Running Blog";
  const sectorName = `Trail running ${stamp}`;
  await nav.getByRole("link", { name: "Settings", exact: true }).click();
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Sites and sectors" }).click();
  const addSite = page.getByRole("form", { name: "Add a site" });
  await addSite.getByLabel("Site name").fill(site);
  await addSite.getByLabel("Site URL").fill("https://trail.example.com");
  await addSite.getByRole("button", { name: "Add site" }).click();
  await expect(page.getByRole("region", { name: "Sites" })).toContainText(site);
  await page.getByLabel("New sector").fill(sectorName);
  await page.getByRole("button", { name: "Add sector" }).click();
  await expect(page.getByRole("region", { name: `Sectors of ${site}` })).toContainText(sectorName);
  await expect(page.locator("#site-switch")).toContainText(site);
  await page.locator("#sector-switch").selectOption({ label: sectorName });
  await expect(page.locator("#sector-switch option:checked")).toHaveText(sectorName);

  // Import the Semrush export.
  await nav.getByRole("link", { name: "Import keywords" }).click();
  await page.getByLabel("Keyword file").setInputFiles(FIXTURE);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("region", { name: "Import report" })).toContainText("Semrush Keyword Magic Tool");
  await page.getByRole("link", { name: "See the keywords" }).click();
  await expect(page.getByRole("cell", { name: "running shoes", exact: true })).toBeVisible();

  // Auto-cluster with the progress modal.
  await page.getByRole("button", { name: "Auto-cluster…" }).click();
  await page.getByRole("group", { name: "Confirm auto-cluster" }).getByRole("button", { name: "Run" }).click();
  const clusterModal = page.getByRole("dialog", { name: "Auto-cluster" });
  await expect(clusterModal.getByTestId("job-message")).toHaveText("100% · Completed", { timeout: 60_000 });
  await clusterModal.getByRole("button", { name: "Close" }).click();

  // Ideas from the first cluster.
  await nav.getByRole("link", { name: "Ideas" }).click();
  await expect(page.getByRole("heading", { name: "Ideas" })).toBeVisible();
  await expect(page.getByLabel("Cluster", { exact: true }).first()).toBeVisible();
  await runJob(page, "Generate ideas", { shotName: "ideas-progress" });
  const ideas = page.getByRole("list", { name: "Ideas list" });
  await expect(ideas.getByRole("listitem").first()).toBeVisible();
  const first = ideas.locator(":scope > li").first();
  const title = ((await first.getByRole("heading").textContent()) ?? "").trim();
  expect(title.length).toBeGreaterThan(3);
  await first.getByRole("button", { name: /^Outline/ }).click();
  await expect(first.getByRole("list", { name: `Outline of ${title}` }).getByRole("listitem").first()).toBeVisible();
  await shot(page, "ideas");
  await accessible(page, "ideas");
  await first.getByRole("button", { name: "Create task" }).click();
  await expect(page.getByRole("status")).toContainText(`Task “${title}” created.`);
  await expect(first.getByRole("link", { name: "Task created" })).toBeVisible();

  // The task writes the article; the editor opens on it.
  await nav.getByRole("link", { name: "Tasks" }).click();
  const card = page.getByRole("listitem").filter({ hasText: title }).first();
  await expect(card).toBeVisible();
  await card.getByRole("button", { name: "Write article…" }).click();
  await card.getByRole("group", { name: "Confirm Write article" }).getByRole("button", { name: "Run" }).click();
  await expect(page).toHaveURL(/\/writer\/content\/[0-9A-Z]{26}$/, { timeout: 90_000 });
  const articleUrl = new URL(page.url()).pathname;
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByTestId("word-count")).toContainText(/\d+ words/);
  await expect(page.getByRole("region", { name: "Keyword placement" }).getByRole("listitem").first()).toBeVisible();
  await shot(page, "article-editor");
  await accessible(page, "article editor");

  // Edit: the counters follow the typing; the save makes version 2.
  const metaTitle = page.getByLabel("Meta title");
  await metaTitle.fill("Edited in the walk");
  await expect(page.getByTestId("a-meta-title-count")).toContainText("18 / 60 characters · short");
  const body = page.getByLabel("Body (HTML)");
  const words = Number(((await page.getByTestId("word-count").textContent()) ?? "").split(" ")[0]);
  await body.fill(`${await body.inputValue()}\n<p>Added by the browser walk today.</p>`);
  await expect(page.getByTestId("word-count")).toHaveText(`${words + 6} words`);
  await expect(page.getByRole("region", { name: "Preview" })).toContainText("Added by the browser walk today.");
  await page.getByLabel("Note for this version").fill("walk edit");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status")).toContainText(/Saved as version \d+\./);

  // Versions: the edit beside the generated text.
  await page.getByRole("tab", { name: "Versions" }).click();
  const versions = page.getByRole("region", { name: "Versions list" });
  await expect(versions).toContainText("walk edit");
  await page.getByRole("button", { name: "Compare" }).click();
  const diff = page.getByRole("region", { name: "Side by side" });
  await expect(diff.locator("tr[data-kind=insert], tr[data-kind=change]").first()).toContainText("Added by the browser walk today.");
  await expect(page.getByTestId("diff-stats")).toContainText("lines added");
  await shot(page, "article-versions");
  await accessible(page, "article versions");

  // Image prompts, then the images, then one as the featured image.
  await page.getByRole("tab", { name: "Images" }).click();
  await runJob(page, "Generate image prompts");
  const prompts = page.getByRole("region", { name: "Image prompts" });
  await expect(prompts.getByRole("listitem").first()).toContainText("Featured image");
  await runJob(page, "Generate images");
  const gallery = page.getByRole("region", { name: "Article images" });
  await expect(gallery.getByRole("img").first()).toBeVisible();
  await gallery.getByRole("button", { name: "Set as featured" }).first().click();
  await expect(gallery.getByText("Featured image", { exact: true })).toBeVisible();
  await shot(page, "article-images");
  await accessible(page, "article images");

  await nav.getByRole("link", { name: "Images" }).click();
  await expect(page.getByRole("list", { name: "Image gallery" }).getByRole("img").first()).toBeVisible();
  await shot(page, "images");
  await accessible(page, "images");

  await nav.getByRole("link", { name: "Content" }).click();
  await expect(page.getByRole("region", { name: "Content list" }).getByRole("link").first()).toBeVisible();
  await shot(page, "content");
  await accessible(page, "content");

  // Each AI step was charged.
  await nav.getByRole("link", { name: "Credits & plan" }).click();
  const ledger = page.getByRole("region", { name: "Ledger lines" });
  for (const fn of ["auto_cluster", "generate_ideas", "generate_content", "generate_image_prompts", "generate_images"]) {
    await expect(ledger).toContainText(fn);
  }
  await expect(ledger).toContainText("(email verified)");
  await shot(page, "credits-after-walk");

  // A viewer of this team reads the same pages without a write action.
  const viewer = { email: `walk-viewer-${stamp}@example.com`, password: "Viewer-pass-2026!" };
  const access = await token(request, team.email, team.password);
  const added = await request.post("/api/v1/users", { headers: { authorization: `Bearer ${access}` }, data: { ...viewer, name: "Vic Viewer", role: "viewer" } });
  expect(added.status()).toBe(201);
  await page.getByRole("button", { name: new RegExp(team.name) }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await signIn(page, viewer.email, viewer.password);
  await expect(page.locator("#sector-switch option:checked")).toHaveText(sectorName);
  await nav.getByRole("link", { name: "Ideas" }).click();
  await expect(page.getByRole("list", { name: "Ideas list" }).getByRole("listitem").first()).toBeVisible();
  await expect(page.getByRole("button", { name: /Generate ideas|Create task/ })).toHaveCount(0);
  await expect(page.getByRole("checkbox")).toHaveCount(0);
  await accessible(page, "ideas as a viewer");
  await nav.getByRole("link", { name: "Content" }).click();
  await page.getByRole("region", { name: "Content list" }).getByRole("link").first().click();
  await expect(page.getByLabel("Title", { exact: true })).toHaveAttribute("readonly", "");
  await expect(page.getByRole("button", { name: /Save|Regenerate/ })).toHaveCount(0);
  await page.getByRole("tab", { name: "Versions" }).click();
  await expect(page.getByRole("region", { name: "Versions list" })).toContainText("walk edit");
  await expect(page.getByRole("button", { name: /Restore/ })).toHaveCount(0);
  await page.getByRole("tab", { name: "Images" }).click();
  await expect(page.getByRole("region", { name: "Article images" }).getByRole("img").first()).toBeVisible();
  await expect(page.getByRole("button", { name: /Generate|featured/ })).toHaveCount(0);
  await accessible(page, "article as a viewer");
  await nav.getByRole("link", { name: "Images" }).click();
  await expect(page.getByRole("list", { name: "Image gallery" }).getByRole("img").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Set as featured" })).toHaveCount(0);

  // Another team (the seeded demo team, with a site of its own) opens this
  // team's article by its URL. The viewer signs out first (a page load alone
  // keeps the cookie session); the demo owner signs in at the article's URL
  // and comes back to it.
  await page.getByRole("button", { name: /Vic Viewer/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.goto(articleUrl);
  await signIn(page, DEMO.email, DEMO.password);
  await expect(page.locator("#site-switch")).toContainText("Demo Travel Blog");
  await expect(page).toHaveURL(new RegExp(`${articleUrl}$`));
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("There is no article at this address in your workspace.");
  await expect(page.getByText(title)).toHaveCount(0);
  await expect(page.getByRole("alert")).toHaveCount(0);
  await shot(page, "article-not-found");
  await accessible(page, "article not found");
});
