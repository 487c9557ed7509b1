// Cookie-mode sessions in a real browser (Debian's Chromium) against the real
// backend: the refresh token is an HttpOnly cookie script cannot read, a
// reload keeps the user signed in, the server refuses a cookie refresh
// without the CSRF header, and sign-out clears the session. The app runs on
// http://127.0.0.1:PORT: Chromium treats loopback as potentially trustworthy,
// so it keeps `Secure` cookies over plain HTTP there.
import { expect, test } from "@playwright/test";

const DEMO = { email: "demo@igny8.local", password: "Demo-pass-2026" };

test("cookie session: HttpOnly refresh cookie, a reload stays signed in, CSRF enforced, sign-out ends it", async ({ page, context }) => {
  await page.goto("/planner/keywords");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();

  // Chromium kept both Secure cookies on http://127.0.0.1, with the server's attributes.
  const jar = await context.cookies();
  const refresh = jar.find((c) => c.name === "igny8_refresh");
  const csrf = jar.find((c) => c.name === "igny8_csrf");
  expect(refresh, JSON.stringify(jar)).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/api/v1/auth" });
  expect(csrf, JSON.stringify(jar)).toMatchObject({ httpOnly: false, secure: true, sameSite: "Strict", path: "/" });
  // Script sees the CSRF cookie only; no token is stored anywhere script can reach.
  const visible = await page.evaluate(() => ({ cookie: document.cookie, stored: JSON.stringify(localStorage) + JSON.stringify(sessionStorage) }));
  expect(visible.cookie).toContain(`igny8_csrf=${csrf!.value}`);
  expect(visible.cookie).not.toContain("igny8_refresh");
  expect(visible.stored).not.toContain(refresh!.value);
  expect(visible.stored).not.toMatch(/eyJ[\w-]+\.eyJ/); // no JWT

  // A reload: one cookie refresh restores the session on the page asked for.
  const refreshes: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/v1/auth/refresh")) refreshes.push(r.headers()["x-csrf-token"] ?? "");
  });
  await page.reload();
  await expect(page.getByRole("heading", { name: "Keywords" })).toBeVisible();
  await expect(page).toHaveURL(/\/planner\/keywords$/);
  expect(refreshes).toEqual([csrf!.value]);
  const rotated = (await context.cookies()).find((c) => c.name === "igny8_refresh");
  expect(rotated?.value).not.toBe(refresh!.value);

  // The browser's cookies without the CSRF header: refused, nothing rotated.
  const forged = await page.request.post("/api/v1/auth/refresh", { headers: { "x-session-mode": "cookie" } });
  expect(forged.status()).toBe(403);
  expect((await forged.json()).error_code).toBe("CSRF_FAILED");

  // Sign out: the server revokes the sign-in and clears both cookies.
  await page.getByRole("button", { name: /Demo Owner/ }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  expect((await context.cookies()).filter((c) => c.name.startsWith("igny8_"))).toEqual([]);
  await page.goto("/planner/keywords");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
});
