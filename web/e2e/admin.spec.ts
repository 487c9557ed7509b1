// The admin pages against the real backend (started by `cargo xtask e2e`):
// Settings (users and roles, sites and sectors, audit log), Integration
// (WordPress connect and test; scheduled publishing: a past date refused beside
// its field, one item and a batch scheduled in the site's time zone, listed,
// one cancelled), Automation (rule builder with the API's field errors, dry
// run, executions; the pipeline configured in its form, its stages, pause and
// resume) and Credits & plan, each checked with axe and saved as a 1280×800
// screenshot; then the same pages as a viewer (no write buttons) and as an
// editor (no admin-only actions).
//
// The e2e backend has no WordPress (the connection points at a closed port):
// scheduling needs none until the minute comes, and this backend runs no
// scheduler, so what is scheduled here never fires.
//
// A fresh account is registered for this file, so the demo account that
// app.spec.ts works in keeps its plan's room for users and sites.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

declare const process: { env: Record<string, string | undefined> };
const SHOTS = process.env.IGNY8_SCREENSHOTS ?? new URL("../../docs/screenshots", import.meta.url).pathname;
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png` });

async function accessible(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Buttons in the page's main area whose name starts with a verb that changes something. */
const WRITE = /^(add|create|new rule|delete|remove|edit|save|rename|connect|disconnect|test connection|sync|publish|schedule|cancel|run|dry run|pause|resume|configure|switch|deactivate|reactivate|import|auto-cluster|invite)\b/i;
async function writeButtons(page: Page): Promise<string[]> {
  const names = await page.getByRole("main").getByRole("button").allInnerTexts();
  return names.map((n) => n.trim()).filter((n) => WRITE.test(n));
}

const stamp = Date.now();
const OWNER = { email: `owner-${stamp}@example.com`, password: "Owner-pass-2026!", name: "Olga Owner", account_name: "Trail Media" };
const EDITOR = { email: `editor-${stamp}@example.com`, password: "Editor-pass-2026!" };
const VIEWER = { email: `viewer-${stamp}@example.com`, password: "Viewer-pass-2026!" };
const SITE = "Trail Running Blog";
const RULE = "Weekday clustering";
const ZONE = "Europe/Berlin";
/** The calendar day `n` days from now (`YYYY-MM-DD`): 09:00 on it, in Berlin, is in the future for n ≥ 2. */
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();
}

const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();
const tab = (page: Page, name: string) => page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name }).click();

// One walk through many pages (now with scheduling and the pipeline): well over the default on a loaded machine.
test.describe.configure({ mode: "serial", timeout: 360_000 });

test("an owner runs the admin pages: users, sites and sectors, audit log, WordPress, automation, plan", async ({ page, request }) => {
  const reg = await request.post("/api/v1/auth/register", { data: OWNER });
  expect(reg.status()).toBe(201);
  await signIn(page, OWNER);

  // Sites and sectors.
  await nav(page, "Settings");
  await tab(page, "Sites and sectors");
  const addSite = page.getByRole("form", { name: "Add a site" });
  await addSite.getByLabel("Site name").fill(SITE);
  await addSite.getByLabel("Site URL").fill("https://trail.example.com");
  await addSite.getByRole("button", { name: "Add site" }).click();
  await expect(page.getByRole("region", { name: "Sites" })).toContainText(SITE);
  await expect(page.locator("#site-switch")).toContainText(SITE);
  const sectors = page.getByRole("region", { name: `Sectors of ${SITE}` });
  for (const name of ["Road races", "Ultra"]) {
    await page.getByLabel("New sector").fill(name);
    await page.getByRole("button", { name: "Add sector" }).click();
    await expect(sectors).toContainText(name);
  }
  await sectors.getByRole("button", { name: "Rename Ultra" }).click();
  await sectors.getByLabel("Sector name").fill("Ultra marathons");
  await sectors.getByRole("button", { name: "Save" }).click();
  await expect(sectors.getByRole("button", { name: "Rename Ultra marathons" })).toBeVisible();
  await sectors.getByRole("button", { name: "Delete Ultra marathons" }).click();
  await expect(sectors.getByRole("status")).toHaveText("Ultra marathons deleted.");
  await expect(sectors.getByRole("button", { name: "Rename Ultra marathons" })).toHaveCount(0);
  expect((await writeButtons(page)).length).toBeGreaterThan(0);
  await shot(page, "settings-sites");
  await accessible(page, "settings: sites and sectors");

  // Users and roles: add an editor in the page (field errors first), a viewer through the API.
  await tab(page, "Users and roles");
  const add = page.getByRole("form", { name: "Add a user" });
  await add.getByLabel("Email").fill(EDITOR.email);
  await add.getByLabel("Initial password").fill("short");
  await add.getByRole("button", { name: "Add user" }).click();
  await expect(add.getByLabel("Initial password")).toHaveAttribute("aria-invalid", "true");
  await add.getByLabel("Name").fill("Eddie Editor");
  await add.getByLabel("Initial password").fill(EDITOR.password);
  await add.getByLabel("Role").selectOption("editor");
  await add.getByRole("button", { name: "Add user" }).click();
  await expect(add.getByRole("status")).toContainText(`${EDITOR.email} was added as editor`);
  const access = (await reg.json()).data.tokens.access as string;
  const viewer = await request.post("/api/v1/users", { headers: { authorization: `Bearer ${access}` }, data: { ...VIEWER, name: "Vera Viewer", role: "viewer" } });
  expect(viewer.status()).toBe(201);
  await nav(page, "Credits & plan");
  await nav(page, "Settings");
  const users = page.getByRole("region", { name: "Users" });
  await expect(users).toContainText(VIEWER.email);
  // "Save role" shows while the choice differs from the stored role: it goes once the API has saved it.
  for (const role of ["editor", "viewer"]) {
    await users.getByLabel("Role of Vera Viewer").selectOption(role);
    await users.getByRole("button", { name: "Save role" }).click();
    await expect(users.getByRole("button", { name: "Save role" })).toHaveCount(0);
    await expect(users.getByLabel("Role of Vera Viewer")).toHaveValue(role);
  }
  await shot(page, "settings-users");
  await accessible(page, "settings: users");

  await tab(page, "Audit log");
  const audit = page.getByRole("region", { name: "Audit entries" });
  await expect(audit).toContainText("user.add");
  await expect(audit).toContainText("user.role_change");
  await shot(page, "settings-audit-log");
  await accessible(page, "settings: audit log");

  // Two articles to publish (the writer pages make them with AI jobs; here through the API) and the site's time zone
  // (not on the Sites page yet): a reload reads the sites again.
  const auth = { authorization: `Bearer ${access}` };
  const site = ((await (await request.get("/api/v1/sites", { headers: auth })).json()).data.results as { id: string; name: string; version: number }[]).find((x) => x.name === SITE)!;
  const zoned = await request.patch(`/api/v1/sites/${site.id}`, { headers: auth, data: { timezone: ZONE, version: site.version } });
  expect(zoned.status()).toBe(200);
  for (const title of ["Alpine trails", "Beach runs"]) {
    const made = await request.post("/api/v1/writer/content", { headers: auth, data: { site_id: site.id, title, body_html: `<p>${title}: where to run and when.</p>` } });
    expect(made.ok()).toBe(true);
  }
  await page.reload();
  await expect(page.locator("#site-switch")).toContainText(SITE);

  // WordPress: a bad URL is refused beside its field; a WordPress that is not there fails the test with a fix.
  await nav(page, "Integration");
  const connect = page.getByRole("form", { name: "Connect WordPress" });
  await expect(connect.getByLabel("Application password")).toHaveAttribute("type", "password");
  await connect.getByLabel("WordPress URL").fill("ftp://wordpress");
  await connect.getByLabel("WordPress username").fill("admin");
  await connect.getByLabel("Application password").fill("abcd efgh ijkl mnop qrst uvwx");
  await connect.getByRole("button", { name: "Connect" }).click();
  await expect(connect.getByLabel("WordPress URL")).toHaveAttribute("aria-invalid", "true");
  await connect.getByLabel("WordPress URL").fill("http://127.0.0.1:9");
  await connect.getByLabel("Application password").fill("abcd efgh ijkl mnop qrst uvwx");
  await connect.getByRole("button", { name: "Connect" }).click();
  await expect(page.getByLabel("Connection")).toContainText("••••uvwx");
  await expect(page.getByRole("status").filter({ hasText: "Webhook secret" })).toBeVisible();
  await page.getByRole("button", { name: "Test connection" }).click();
  const checks = page.getByRole("region", { name: "Connection test" });
  await expect(checks).toContainText("some checks failed");
  await expect(checks.getByRole("listitem").first()).toContainText("reachable failed");
  await expect(checks.getByRole("listitem").first()).toContainText("Fix:");
  await expect(page.getByRole("region", { name: "Sync log" })).toContainText("test");
  await shot(page, "integration");
  await accessible(page, "integration");

  // Scheduled publishing, in the site's time zone: a past date is refused beside the field; a future one is listed.
  const publish = page.getByRole("form", { name: "Publish a content item" });
  const alpine = await publish.getByRole("option", { name: /Alpine trails/ }).getAttribute("value");
  await publish.getByLabel("Content item").selectOption(alpine!);
  await publish.getByLabel("Schedule for…").check();
  await expect(publish).toContainText(`Times are read in ${ZONE}, the site's time zone.`);
  const date = publish.getByLabel(`Publish at (${ZONE})`);
  await date.fill("2020-01-01T09:00");
  await publish.getByRole("button", { name: "Schedule publish" }).click();
  await expect(date).toHaveAttribute("aria-invalid", "true");
  await expect(publish).toContainText("is in the past");
  await date.fill(`${day(2)}T09:00`);
  await publish.getByRole("button", { name: "Schedule publish" }).click();
  await expect(publish.getByRole("status")).toHaveText(`Scheduled for ${day(2)} 09:00 ${ZONE}.`);
  const scheduled = page.getByRole("region", { name: "Scheduled publishes" });
  await expect(scheduled.getByRole("row").filter({ hasText: `${day(2)} 09:00 ${ZONE}` })).toContainText("Alpine trailsscheduled");
  // A batch: two items two hours apart, the times shown before and as the API set them.
  const batch = page.getByRole("form", { name: "Schedule a batch" });
  await batch.getByRole("checkbox", { name: /Beach runs/ }).check();
  await batch.getByRole("checkbox", { name: /Alpine trails/ }).check();
  await batch.getByLabel(`First publish at (${ZONE})`).fill(`${day(3)}T10:00`);
  await batch.getByLabel("Every (minutes)").fill("120");
  await expect(batch.getByRole("region", { name: "Planned times" })).toContainText(`${day(3)} 12:00 — Alpine trails`);
  await batch.getByRole("button", { name: "Schedule 2 items" }).click();
  const done = batch.getByRole("status", { name: "Batch scheduled" });
  await expect(done).toContainText(`Scheduled 2 items in ${ZONE}:`);
  await expect(done).toContainText(`${day(3)} 10:00 ${ZONE} — Beach runs`);
  await expect(done).toContainText(`${day(3)} 12:00 ${ZONE} — Alpine trails`);
  await expect(scheduled.getByRole("row")).toHaveCount(4);
  // Cancel the single one, after the confirmation.
  await scheduled.getByRole("button", { name: `Cancel Alpine trails at ${day(2)} 09:00 ${ZONE}…` }).click();
  await scheduled.getByRole("button", { name: "Cancel this publish" }).click();
  await expect(scheduled.getByRole("row").filter({ hasText: `${day(2)} 09:00 ${ZONE}` })).toContainText("cancelled");
  await expect(scheduled.getByRole("button", { name: /^Cancel / })).toHaveCount(2);
  await expect(page.getByRole("region", { name: "Sync log" })).toContainText("cancel");
  await shot(page, "integration-scheduled");
  await accessible(page, "integration: scheduled publishing");

  // Automation: the builder shows the API's errors beside the fields, the cron in words.
  await nav(page, "Automation");
  await page.getByRole("button", { name: "New rule…" }).click();
  const builder = page.getByRole("form", { name: "New rule" });
  await builder.getByLabel("Rule name").fill(RULE);
  await builder.getByLabel("Trigger").selectOption("schedule");
  await builder.getByLabel(/^Cron/).fill("0 9 * * 1-5");
  await builder.getByLabel("Time zone").fill("Mars/Base");
  await expect(builder.getByTestId("cron-preview")).toHaveText("At 09:00, on Monday through Friday (Mars/Base)");
  await builder.getByLabel("Action 1 batch size").fill("500");
  await builder.getByRole("button", { name: "Create rule" }).click();
  await expect(builder.getByLabel("Time zone")).toHaveAttribute("aria-invalid", "true");
  await expect(builder.getByLabel("Action 1 batch size")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "automation-rule-errors");
  await accessible(page, "automation: rule builder with errors");
  await builder.getByLabel("Time zone").fill("Europe/Berlin");
  await builder.getByLabel("Action 1 batch size").fill("20");
  await builder.getByRole("button", { name: "Create rule" }).click();
  const rules = page.getByRole("region", { name: "Rules" });
  await expect(rules).toContainText(RULE);
  await expect(rules).toContainText("At 09:00, on Monday through Friday (Europe/Berlin)");
  await page.getByRole("button", { name: `Dry run ${RULE}` }).click();
  await expect(page.getByRole("status", { name: "Last run" })).toContainText("dry run");
  await page.getByRole("button", { name: `Executions of ${RULE}` }).click();
  await expect(page.getByRole("region", { name: "Executions" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Pipeline" })).toBeVisible();
  await shot(page, "automation");
  await accessible(page, "automation");

  // The pipeline: configured in its form (the API's error beside a stage field first), then its stages; pause and resume.
  const pipeline = page.getByRole("region", { name: "Pipeline" });
  await expect(pipeline).toContainText("No pipeline is configured for this site.");
  await pipeline.getByRole("button", { name: "Configure pipeline…" }).click();
  const plForm = pipeline.getByRole("form", { name: "Configure the pipeline" });
  await plForm.getByLabel("Ideas per cluster").fill("9");
  await plForm.getByLabel("Run on a schedule").check();
  await plForm.getByLabel(/^Pipeline cron/).fill("0 6 * * 1-5");
  await expect(plForm.getByTestId("cron-preview")).toHaveText(`At 06:00, on Monday through Friday (${ZONE})`);
  await plForm.getByLabel("Review mode").selectOption("auto_approve");
  await plForm.getByRole("button", { name: "Save pipeline" }).click();
  await expect(plForm.getByLabel("Ideas per cluster")).toHaveAttribute("aria-invalid", "true");
  await expect(plForm).toContainText("must be from 3 to 7");
  await accessible(page, "automation: pipeline form with an error");
  await plForm.getByLabel("Ideas per cluster").fill("4");
  await plForm.getByRole("button", { name: "Save pipeline" }).click();
  const stageList = pipeline.getByRole("list", { name: "Pipeline stages" });
  await expect(stageList.getByRole("listitem")).toHaveCount(8);
  await expect(stageList).toContainText("4 per cluster");
  await expect(stageList).toContainText("approved automatically");
  await expect(pipeline.getByTestId("pipeline-state")).toContainText(`active · At 06:00, on Monday through Friday (${ZONE})`);
  await pipeline.getByRole("button", { name: "Pause pipeline" }).click();
  await expect(pipeline.getByTestId("pipeline-state")).toContainText("paused: paused by a user");
  await pipeline.getByRole("button", { name: "Resume pipeline" }).click();
  await expect(pipeline.getByRole("button", { name: "Pause pipeline" })).toBeVisible();
  await expect(pipeline.getByTestId("pipeline-state")).toContainText("active");
  await pipeline.getByRole("list", { name: "Pipeline stages" }).scrollIntoViewIfNeeded();
  await shot(page, "automation-pipeline");
  await accessible(page, "automation: pipeline");

  await nav(page, "Credits & plan");
  await expect(page.getByRole("button", { name: "Switch to Growth" })).toBeVisible();
  await shot(page, "credits-plan");
  await accessible(page, "credits and plan");
});

test("a viewer sees Keywords, Settings, Integration and Automation with no write buttons", async ({ page }) => {
  await signIn(page, VIEWER);
  await expect(page.getByRole("button", { name: /Vera Viewer/ })).toContainText("viewer");
  await expect(page.getByRole("checkbox")).toHaveCount(0);
  expect(await writeButtons(page)).toEqual([]);

  await nav(page, "Settings");
  await expect(page.getByRole("region", { name: "Users" })).toContainText(EDITOR.email);
  expect(await writeButtons(page)).toEqual([]);
  await expect(page.getByRole("combobox")).toHaveCount(2); // the header's site and sector switchers only
  await tab(page, "Sites and sectors");
  await expect(page.getByRole("region", { name: `Sectors of ${SITE}` })).toContainText("Road races");
  expect(await writeButtons(page)).toEqual([]);
  // The audit log is for admins (the API answers a viewer 403): no tab.
  await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" })).toHaveCount(0);

  await nav(page, "Integration");
  await expect(page.getByLabel("Connection")).toContainText("••••uvwx");
  await expect(page.getByRole("region", { name: "Sync log" })).toContainText("test");
  await expect(page.getByRole("region", { name: "Scheduled publishes" })).toContainText("cancelled");
  await expect(page.getByRole("form")).toHaveCount(0);
  expect(await writeButtons(page)).toEqual([]);
  await shot(page, "integration-viewer");
  await accessible(page, "integration as a viewer");

  await nav(page, "Automation");
  await expect(page.getByRole("region", { name: "Rules" })).toContainText(RULE);
  await expect(page.getByRole("list", { name: "Pipeline stages" })).toContainText("4 per cluster");
  expect(await writeButtons(page)).toEqual([]);
  await accessible(page, "automation as a viewer");

  await nav(page, "Credits & plan");
  await expect(page.getByLabel("Balance")).toBeVisible();
  expect(await writeButtons(page)).toEqual([]);
});

test("an editor gets the editor's actions but not the admin-only ones", async ({ page }) => {
  await signIn(page, EDITOR);
  await nav(page, "Integration");
  await expect(page.getByRole("button", { name: "Sync from WordPress" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Publish a content item" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Schedule a batch" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Scheduled publishes" }).getByRole("button", { name: /^Cancel / })).toHaveCount(2);
  await expect(page.getByRole("button", { name: /Test connection|Edit connection|Disconnect/ })).toHaveCount(0);
  await nav(page, "Automation");
  await expect(page.getByRole("button", { name: `Run ${RULE} now` })).toBeVisible();
  await expect(page.getByRole("button", { name: "Pause pipeline" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Edit pipeline…" })).toBeVisible();
  await nav(page, "Settings");
  await expect(page.getByRole("region", { name: "Users" })).toContainText(VIEWER.email);
  await expect(page.getByRole("form", { name: "Add a user" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /Deactivate|Remove|Save role/ })).toHaveCount(0);
  await tab(page, "Sites and sectors");
  await expect(page.getByRole("region", { name: "Sites" })).toContainText(SITE);
  await expect(page.getByRole("form", { name: "Add a site" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Edit|Delete|Rename) / })).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" })).toHaveCount(0);
});
