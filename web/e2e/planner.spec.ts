// Planner editing in the browser against the real backend (local gateway,
// emulator, offline AI provider, the seeded demo account), in a sector of its
// own made through the API: a cluster added (an empty name first: the API's
// error beside the field), renamed and deleted after the confirm; one
// cluster's keywords re-clustered (cost, then the progress modal); an idea
// (made through the API: generating ideas in the browser is walk.spec.ts's)
// edited (a refused length first) and deleted; a task added without an idea
// (an empty title first) and edited. axe on each page state; screenshots at
// 1280×800 (planner-*.png).
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

const DEMO = { email: "demo@igny8.local", password: "Demo-pass-2026" };
/** Keywords for the cluster this spec refines (two topics, so re-clustering has something to split). */
const KEYWORDS = [
  ["running shoes", 135000],
  ["best running shoes", 74000],
  ["running shoes for women", 40500],
  ["running shoes for men", 33100],
  ["trail running shoes", 27100],
  ["waterproof trail running shoes", 4400],
  ["hiking boots", 60500],
  ["waterproof hiking boots", 9900],
  ["hiking boots for women", 8100],
  ["lightweight hiking boots", 2900],
].map(([keyword, volume]) => ({ keyword, volume }));
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

test("an editor adds, renames, re-clusters and deletes clusters, edits and deletes an idea, adds and edits a task", async ({ page, request }) => {
  test.setTimeout(300_000);
  const stamp = Date.now();

  // A sector of this spec's own on the demo site, with keywords in it, a cluster holding them, and an idea: all through the API.
  const access = await token(request, DEMO.email, DEMO.password);
  const headers = { authorization: `Bearer ${access}` };
  const sites = await (await request.get("/api/v1/sites", { headers })).json();
  const siteId = sites.data.results[0].id as string;
  const sectorName = `Planner ${stamp}`;
  const sec = await request.post(`/api/v1/sites/${siteId}/sectors`, { headers, data: { name: sectorName } });
  expect(sec.status()).toBe(201);
  const sectorId = (await sec.json()).data.id as string;
  const scope = { site_id: siteId, sector_id: sectorId };
  const imported = await request.post("/api/v1/planner/keywords/bulk-import", { headers, data: { ...scope, rows: KEYWORDS } });
  expect(imported.status()).toBe(200);
  const kws = await (await request.get("/api/v1/planner/keywords", { headers, params: { ...scope, limit: 100 } })).json();
  const keywordIds = (kws.data.results as { id: string }[]).map((k) => k.id);
  expect(keywordIds).toHaveLength(KEYWORDS.length);
  const shoes = await request.post("/api/v1/planner/clusters", { headers, data: { ...scope, name: "Running shoes (to refine)" } });
  expect(shoes.status()).toBe(201);
  const shoesId = (await shoes.json()).data.id as string;
  const added = await request.post(`/api/v1/planner/clusters/${shoesId}/add-keywords`, { headers, data: { site_id: siteId, keyword_ids: keywordIds } });
  expect(added.status()).toBe(200);
  const ideaTitle = `Trail shoes buying guide ${stamp}`;
  const idea = await request.post("/api/v1/planner/ideas", {
    headers,
    data: { ...scope, title: ideaTitle, primary_keyword: `trail shoes ${stamp}`, structure: "guide", outline: [{ heading: "Why grip matters", covers: "lugs" }] },
  });
  expect(idea.status()).toBe(201);

  await page.goto("/planner/clusters");
  await signIn(page, DEMO.email, DEMO.password);
  await expect(page.locator("#site-switch")).toContainText("Demo Travel Blog");
  await page.locator("#sector-switch").selectOption({ label: sectorName });
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Clusters" }).click();
  await expect(page.getByRole("button", { name: "Running shoes (to refine)" })).toBeVisible();

  // Clusters: an empty name gets the API's error beside the field.
  const add = page.getByRole("form", { name: "Add a cluster" });
  await add.getByRole("button", { name: "Add cluster" }).click();
  await expect(add.getByLabel("Cluster name")).toHaveAttribute("aria-invalid", "true");
  await expect(add.getByText("must not be empty", { exact: true })).toBeVisible();
  await shot(page, "planner-cluster-error");
  await accessible(page, "clusters: add with an empty name");
  await add.getByLabel("Cluster name").fill(`Hiking boots ${stamp}`);
  await add.getByLabel("Description (optional)").fill("Boots for long trails");
  await add.getByRole("button", { name: "Add cluster" }).click();
  await expect(page.getByRole("status")).toHaveText(`Cluster “Hiking boots ${stamp}” added.`);

  // Rename it.
  await page.getByRole("button", { name: `Hiking boots ${stamp}` }).click();
  await page.getByRole("group", { name: `Actions for Hiking boots ${stamp}` }).getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("form", { name: `Edit Hiking boots ${stamp}` });
  await edit.getByLabel("Cluster name").fill(`Hiking and trail boots ${stamp}`);
  await edit.getByRole("button", { name: "Save cluster" }).click();
  await expect(page.getByRole("button", { name: `Hiking and trail boots ${stamp}` })).toBeVisible();
  await expect(page.getByText("Boots for long trails")).toBeVisible();

  // Delete it: the confirm says what happens to its keywords.
  await page.getByRole("group", { name: `Actions for Hiking and trail boots ${stamp}` }).getByRole("button", { name: "Delete…" }).click();
  const confirm = page.getByRole("group", { name: `Confirm deleting Hiking and trail boots ${stamp}` });
  await expect(confirm).toContainText("unclustered");
  await shot(page, "planner-cluster-delete");
  await accessible(page, "clusters: delete confirm");
  await confirm.getByRole("button", { name: "Delete cluster" }).click();
  await expect(page.getByRole("status")).toHaveText(`Cluster “Hiking and trail boots ${stamp}” deleted; 0 keywords are now unclustered.`);
  await expect(page.getByRole("button", { name: `Hiking and trail boots ${stamp}` })).toHaveCount(0);

  // Re-cluster the cluster holding the imported keywords: cost, then the modal.
  await page.getByRole("button", { name: "Running shoes (to refine)" }).click();
  await expect(page.getByRole("list", { name: "Keywords of Running shoes (to refine)" }).getByText("running shoes", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Auto-cluster this cluster…" }).click();
  const cost = page.getByRole("group", { name: "Confirm Auto-cluster this cluster" });
  await expect(cost).toContainText(/Re-cluster the \d+ keywords of “Running shoes \(to refine\)” for [\d.]+ credits\?/);
  await cost.getByRole("button", { name: "Run" }).click();
  const modal = page.getByRole("dialog", { name: "Auto-cluster this cluster" });
  await expect(modal.getByTestId("job-message")).toHaveText("100% · Completed", { timeout: 60_000 });
  await shot(page, "planner-recluster-progress");
  await accessible(page, "clusters: re-cluster progress");
  await modal.getByRole("button", { name: "Close" }).click();
  // The refined clusters are listed (the first keeps the cluster's id, named after its top keyword).
  const table = page.getByRole("region", { name: "Clusters list" });
  await expect(table.locator("tbody tr").first()).toBeVisible();
  await shot(page, "planner-clusters");
  await accessible(page, "clusters");

  // Ideas: edit the idea (a length the API refuses first), then delete it.
  await nav.getByRole("link", { name: "Ideas" }).click();
  const card = page.getByRole("listitem", { name: ideaTitle });
  await card.getByRole("button", { name: "Edit" }).click();
  const ideaForm = card.getByRole("form", { name: `Edit ${ideaTitle}` });
  await ideaForm.getByLabel("Target words").fill("50");
  await ideaForm.getByLabel("Section 1 heading").fill("Grip on wet rock");
  await ideaForm.getByRole("button", { name: "Add section" }).click();
  await ideaForm.getByLabel("Section 2 heading").fill("Sizing");
  await ideaForm.getByRole("button", { name: "Save idea" }).click();
  await expect(ideaForm.getByText("must be from 300 to 10000", { exact: true })).toBeVisible();
  await expect(ideaForm.getByLabel("Target words")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "planner-idea-error");
  await accessible(page, "ideas: edit refused");
  const newTitle = `Trail shoes: the complete guide ${stamp}`;
  await ideaForm.getByLabel("Title").fill(newTitle);
  await ideaForm.getByLabel("Target words").fill("1800");
  await ideaForm.getByLabel("Structure").selectOption("listicle");
  await ideaForm.getByRole("button", { name: "Save idea" }).click();
  await expect(page.getByRole("status")).toHaveText(`Idea “${newTitle}” saved.`);
  const saved = page.getByRole("listitem", { name: newTitle });
  await expect(saved).toContainText("Structure: listicle");
  await expect(saved).toContainText("1800 words");
  await saved.getByRole("button", { name: /^Outline/ }).click();
  await expect(saved.getByRole("list", { name: `Outline of ${newTitle}` })).toContainText("Grip on wet rock");
  await expect(saved.getByRole("list", { name: `Outline of ${newTitle}` })).toContainText("Sizing");
  await shot(page, "planner-ideas");
  await accessible(page, "ideas after the edit");
  await saved.getByRole("button", { name: "Delete…" }).click();
  await saved.getByRole("group", { name: `Confirm deleting ${newTitle}` }).getByRole("button", { name: "Delete idea" }).click();
  await expect(page.getByRole("status")).toHaveText(`Idea “${newTitle}” deleted.`);
  await expect(page.getByRole("listitem", { name: newTitle })).toHaveCount(0);
  const gone = await request.get("/api/v1/planner/ideas", { headers, params: scope });
  expect(((await gone.json()).data.results as { title: string }[]).map((i) => i.title)).not.toContain(newTitle);

  // Tasks: add one without an idea (an empty title first), then edit it.
  await nav.getByRole("link", { name: "Tasks" }).click();
  await page.getByRole("button", { name: "New task" }).click();
  const addTask = page.getByRole("form", { name: "Add a task" });
  await addTask.getByRole("button", { name: "Add task" }).click();
  await expect(addTask.getByLabel("Task title")).toHaveAttribute("aria-invalid", "true");
  await expect(addTask.getByText("must not be empty", { exact: true })).toBeVisible();
  await shot(page, "planner-task-error");
  await accessible(page, "tasks: add with an empty title");
  const taskTitle = `Lacing tricks for trail shoes ${stamp}`;
  await addTask.getByLabel("Task title").fill(taskTitle);
  await addTask.getByLabel("Keywords").fill("shoe lacing, heel lock");
  await addTask.getByLabel("Target words").fill("900");
  await addTask.getByLabel("Brief").fill("Three lacing patterns with photos.");
  await addTask.getByRole("button", { name: "Add task" }).click();
  await expect(page.getByRole("status")).toHaveText(`Task “${taskTitle}” created.`);
  const queued = page.getByRole("region", { name: "Queued" });
  await expect(queued.getByText(taskTitle)).toBeVisible();

  await page.getByRole("button", { name: `Edit ${taskTitle}` }).click();
  const editTask = page.getByRole("form", { name: `Edit ${taskTitle}` });
  await expect(editTask.getByLabel("Keywords")).toHaveValue("shoe lacing, heel lock");
  const edited = `Lacing tricks for trail runners ${stamp}`;
  await editTask.getByLabel("Task title").fill(edited);
  await editTask.getByLabel("Due date").fill("2027-01-15");
  await editTask.getByLabel("Tone").fill("practical");
  await editTask.getByRole("button", { name: "Save task" }).click();
  await expect(page.getByRole("status")).toHaveText(`Task “${edited}” saved.`);
  const editedCard = queued.getByRole("listitem").filter({ hasText: edited });
  await expect(editedCard).toContainText("900 words · due 2027-01-15");
  // The board's moves are unchanged, and a move carries the edited version.
  await expect(editedCard.getByRole("group", { name: `Move ${edited}` }).getByRole("button")).toHaveText(["→ In progress", "→ Cancelled"]);
  await shot(page, "planner-tasks");
  await accessible(page, "tasks after the edit");
  await editedCard.getByRole("button", { name: "→ In progress" }).click();
  await expect(page.getByRole("region", { name: "In progress" }).getByText(edited)).toBeVisible();
  const stored = await request.get("/api/v1/planner/tasks", { headers, params: scope });
  const t = ((await stored.json()).data.results as { title: string; tone: string; due_date: string; status: string; idea_id?: string | null }[]).find((x) => x.title === edited);
  expect(t).toMatchObject({ tone: "practical", due_date: "2027-01-15", status: "in_progress" });
  expect(t?.idea_id ?? null).toBeNull();
});
