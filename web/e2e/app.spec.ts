// The browser app against the real backend (local gateway, emulator, offline
// AI provider, the seeded demo account). Screenshots (1280×800) go to
// docs/screenshots/.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

const DEMO = { email: "demo@igny8.local", password: "Demo-pass-2026" };
const FIXTURE = new URL("../../tests/fixtures/keywords/semrush_keyword_magic.csv", import.meta.url).pathname;
declare const process: { env: Record<string, string | undefined> };
const SHOTS = process.env.IGNY8_SCREENSHOTS ?? new URL("../../docs/screenshots", import.meta.url).pathname;
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png` });

/** No serious or critical accessibility violations (axe-core, WCAG 2.x A/AA rules). */
async function accessible(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

async function credits(page: Page): Promise<number> {
  const text = await page.getByText(/^\d+(\.\d+)? credits$/).textContent();
  return Number(text?.split(" ")[0]);
}

test("the demo team signs in, imports keywords, browses them and auto-clusters with the progress modal", async ({ page, request }) => {
  // About a minute alone; well over the default 90 s when the machine's 2 cores are shared.
  test.setTimeout(240_000);
  await page.goto("/planner/keywords");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await shot(page, "sign-in");
  await accessible(page, "sign in");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill("wrong-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();
  await expect(page.locator("#site-switch")).toContainText("Demo Travel Blog");
  await expect(page.locator("#sector-switch")).toContainText("City Breaks");
  const before = await credits(page);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import keywords" }).click();
  await page.getByLabel("Keyword file").setInputFiles(FIXTURE);
  await expect(page.getByRole("table", { name: "File preview" })).toContainText("running shoes");
  await shot(page, "import-preview");
  await accessible(page, "import preview");
  await page.getByRole("button", { name: "Import" }).click();
  const report = page.getByRole("region", { name: "Import report" });
  await expect(report).toContainText("Semrush Keyword Magic Tool");
  await shot(page, "import-report");
  await accessible(page, "import report");

  await page.getByRole("link", { name: "See the keywords" }).click();
  await expect(page.getByRole("cell", { name: "running shoes", exact: true })).toBeVisible();
  await page.getByRole("searchbox").fill("women");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("cell", { name: "running shoes for women", exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "running shoes for men", exact: true })).toHaveCount(0);
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(page.getByRole("cell", { name: "running shoes for men", exact: true })).toBeVisible();
  await shot(page, "keywords");
  await accessible(page, "keywords");

  await page.getByRole("button", { name: "Auto-cluster…" }).click();
  const confirm = page.getByRole("group", { name: "Confirm auto-cluster" });
  await expect(confirm).toContainText(/for \d+ credits/);
  const cost = Number((await confirm.locator("strong").textContent()) ?? "NaN");
  await confirm.getByRole("button", { name: "Run" }).click();
  const modal = page.getByRole("dialog", { name: "Auto-cluster" });
  await expect(modal).toBeVisible();
  await expect(modal.getByTestId("job-message")).toHaveText("100% · Completed", { timeout: 60_000 });
  await shot(page, "auto-cluster-progress");
  await accessible(page, "progress modal");
  await modal.getByRole("button", { name: "Close" }).click();
  await expect(page.getByRole("cell", { name: "clustered", exact: true }).first()).toBeVisible();
  await expect.poll(() => credits(page)).toBeLessThanOrEqual(before - cost + 0.0001);

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Clusters" }).click();
  const first = page.getByRole("region", { name: "Clusters list" }).getByRole("button").first();
  const name = (await first.textContent()) ?? "";
  await first.click();
  const members = page.getByRole("list", { name: `Keywords of ${name}` });
  await expect(members.getByRole("listitem").first()).toBeVisible();
  await members.getByRole("checkbox").first().click();
  await page.getByRole("button", { name: "Remove from cluster" }).click();
  await expect(page.getByRole("status")).toContainText("1 removed");
  await shot(page, "clusters");
  await accessible(page, "clusters");

  // A task made through the API (ideas are not in the app yet), moved on the board.
  const login = await request.post("/api/v1/auth/login", { data: DEMO });
  const access = (await login.json()).data.tokens.access as string;
  const sites = await (await request.get("/api/v1/sites", { headers: { authorization: `Bearer ${access}` } })).json();
  const siteId = sites.data.results[0].id as string;
  const sectors = await (await request.get(`/api/v1/sites/${siteId}/sectors`, { headers: { authorization: `Bearer ${access}` } })).json();
  const made = await request.post("/api/v1/planner/tasks", {
    headers: { authorization: `Bearer ${access}` },
    data: { site_id: siteId, sector_id: sectors.data.results[0].id, title: "Trail shoes buying guide", target_word_count: 1500 },
  });
  expect(made.status()).toBe(201);
  await nav.getByRole("link", { name: "Tasks" }).click();
  const moves = page.getByRole("group", { name: "Move Trail shoes buying guide" });
  await expect(moves.getByRole("button")).toHaveText(["→ In progress", "→ Cancelled"]);
  await moves.getByRole("button", { name: "→ In progress" }).click();
  await expect(page.getByRole("region", { name: "In progress" })).toContainText("Trail shoes buying guide");
  await expect(moves.getByRole("button")).toHaveText(["→ Generated", "→ Queued", "→ Cancelled"]);
  await shot(page, "tasks");
  await accessible(page, "tasks");

  await nav.getByRole("link", { name: "Jobs" }).click();
  const jobs = page.getByRole("region", { name: "Jobs list" });
  await expect(jobs.getByRole("row").filter({ hasText: "auto_cluster" }).first()).toContainText("completed");
  await shot(page, "jobs");
  await accessible(page, "jobs");

  await nav.getByRole("link", { name: "Credits & plan" }).click();
  await expect(page.getByLabel("Balance")).toContainText("Plan credits");
  await expect(page.getByRole("region", { name: "Ledger lines" })).toContainText("auto_cluster");
  await expect(page.getByRole("list", { name: "Credits charged by month" })).toContainText("credits");
  await shot(page, "credits");
  await accessible(page, "credits");

  await page.getByRole("button", { name: /Demo|demo@/ }).click();
  await page.getByRole("menuitem", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { name: "Change password" })).toBeVisible();
  await page.getByLabel("Current password").fill("not-my-password-1");
  await page.getByLabel("New password").fill("Another-pass-2026!");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await shot(page, "change-password-error");
  await accessible(page, "change password");

  await page.getByRole("button", { name: /Demo|demo@/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});

test("a new team registers and gets its own, empty workspace; field errors show beside the fields", async ({ page }) => {
  await page.goto("/register");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.locator("[aria-invalid=true]").first()).toBeVisible();
  await shot(page, "register-errors");
  await accessible(page, "register with errors");

  const email = `e2e-${Date.now()}@example.com`;
  await page.getByLabel("Your name").fill("Erin");
  await page.getByLabel("Team or company").fill("Erin's Agency");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("Erin-pass-2026!");
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();
  await expect(page.getByText("No site yet")).toBeVisible();
  await expect(page.getByText("Erin's Agency")).toBeVisible();
  // The demo account's keywords are not visible here.
  await expect(page.getByText("running shoes")).toHaveCount(0);
});

test("a viewer sees the keywords but no write actions (the API would refuse them anyway)", async ({ page, request }) => {
  const login = await request.post("/api/v1/auth/login", { data: DEMO });
  const access = (await login.json()).data.tokens.access as string;
  const viewer = { email: `viewer-${Date.now()}@example.com`, password: "Viewer-pass-2026!" };
  const added = await request.post("/api/v1/users", {
    headers: { authorization: `Bearer ${access}` },
    data: { ...viewer, name: "Vera Viewer", role: "viewer" },
  });
  expect(added.status()).toBe(201);

  await page.goto("/signin");
  await page.getByLabel("Email").fill(viewer.email);
  await page.getByLabel("Password").fill(viewer.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();
  await expect(page.locator("#site-switch")).toContainText("Demo Travel Blog");
  await expect(page.getByRole("button", { name: /Vera Viewer/ })).toContainText("viewer");
  await expect(page.getByRole("button", { name: "Auto-cluster…" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Import…" })).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Import keywords" })).toHaveCount(0);
  await expect(page.getByRole("checkbox")).toHaveCount(0);
  await accessible(page, "keywords as a viewer");
  await page.goto("/planner/import");
  // A full page load keeps the session (one cookie refresh restores it).
  await expect(page.getByText("Importing keywords needs the editor role or above.")).toBeVisible();
});
