// Renders the app's real routes at a path, with the stores reset.
import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { Suspense } from "react";
import { routes } from "../App";
import { clearCookies, setCsrfCookie } from "./http";
import { useAuthStore } from "../stores/authStore";
import { useSiteStore } from "../stores/siteStore";
import { useCreditsStore } from "../stores/creditsStore";
import { useJobsStore } from "../stores/jobsStore";
import { emptyFilters, useKeywordsStore } from "../stores/keywordsStore";
import { useImportStore } from "../stores/importStore";
import { useClustersStore } from "../stores/clustersStore";
import { useTasksStore } from "../stores/tasksStore";
import { useSettingsStore } from "../stores/settingsStore";
import { useIntegrationStore } from "../stores/integrationStore";
import { useAutomationStore } from "../stores/automationStore";
import { emptyIdeaFilters, useIdeasStore } from "../stores/ideasStore";
import { useContentStore } from "../stores/contentStore";
import { useImagesStore } from "../stores/imagesStore";

const pristine = [useSettingsStore, useIntegrationStore, useAutomationStore].map((s) => [s, s.getState()] as const);

export const USER = {
  id: "u1",
  account_id: "a1",
  email: "ed@example.com",
  name: "Ed",
  role: "editor" as const,
  is_active: true,
  created_at: "2026-12-01T00:00:00Z",
  version: 1,
};
export const ACCOUNT = { id: "a1", name: "Demo Agency", bonus_credits: 0, created_at: "2026-12-01T00:00:00Z" } as never;

export function resetStores() {
  localStorage.clear();
  clearCookies();
  useAuthStore.setState({ user: null, account: null, access: null, restoring: false, notice: null });
  useSiteStore.setState({ sites: [], sectors: [], siteId: null, sectorId: null, loading: false, error: null });
  useCreditsStore.setState({ balance: null, error: null, ledger: [], ledgerNext: null, ledgerFilters: { type: "", from: "", to: "" }, usage: [], subscription: null, plans: [], pageError: null, loading: false });
  useJobsStore.setState({ job: null, error: null, cancelling: false, list: [], listNext: null, listStatus: "", listError: null });
  useKeywordsStore.setState({ filters: emptyFilters, ordering: "-created_at", rows: [], next: null, loading: false, error: null, selected: new Set() });
  useClustersStore.setState({ clusters: [], next: null, status: "", search: "", openId: null, members: [], loading: false, error: null });
  useTasksStore.setState({ tasks: [], next: null, loading: false, error: null });
  useImportStore.setState({ file: null, preview: null, report: null, job: null, busy: false, error: null });
  for (const [store, state] of pristine) (store.setState as (s: unknown, replace: true) => void)(state, true);
  useIdeasStore.setState({ ideas: [], next: null, filters: emptyIdeaFilters, selected: new Set(), loading: false, error: null, note: null });
  useContentStore.setState({ items: [], next: null, filters: { status: "", search: "" }, loading: false, error: null });
  useContentStore.getState().close();
  useImagesStore.setState({ images: [], next: null, loading: false, error: null, note: null });
}

/** A signed-in user: the access token in memory and the session's CSRF cookie. */
export function signInAs(role: "viewer" | "editor" | "admin" | "owner" = "editor") {
  setCsrfCookie();
  useAuthStore.setState({ user: { ...USER, role }, account: ACCOUNT, access: "access-1" });
}

export function renderAt(path: string) {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const r = render(
    <Suspense fallback={null}>
      <RouterProvider router={router} />
    </Suspense>,
  );
  return { ...r, router };
}
