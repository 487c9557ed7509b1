import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { ACCOUNT, renderAt, resetStores, signInAs } from "../test/app";
import { envelope, failure, stubFetch, type Call } from "../test/http";
import { useAuthStore } from "../stores/authStore";
import { verifyOnce } from "./VerifyEmail";

const UNVERIFIED = { ...(ACCOUNT as object), id: "a1", name: "Trail Media", email_verified: false, plan_credits: 0 };
const VERIFIED = { ...UNVERIFIED, email_verified: true, plan_credits: 100 };

/** The shell's own calls (sites, balance) answered; `route` answers the rest. */
function backend(route: (c: Call) => Response | undefined, balance = 0) {
  return stubFetch((c) => {
    const r = route(c);
    if (r) return r;
    if (c.url.startsWith("/api/v1/sites")) return envelope({ results: [], next_cursor: null });
    if (c.url === "/api/v1/credits/balance") return envelope({ total: balance, plan_credits: balance, bonus_credits: 0, plan: "free" });
    if (c.url.startsWith("/api/v1/planner/keywords") || c.url.startsWith("/api/v1/jobs")) return envelope({ results: [], next_cursor: null });
    return envelope({});
  });
}

const verifyCalls = (calls: Call[]) => calls.filter((c) => c.url === "/api/v1/auth/verify-email");

beforeEach(() => resetStores());

describe("the verify-email page", () => {
  it("sends the link's token once, says what was granted, and the signed-in owner's shell drops the banner and shows the credits", async () => {
    signInAs("owner");
    useAuthStore.setState({ account: UNVERIFIED as never });
    let balance = 0;
    const { calls } = backend((c) => {
      if (c.url === "/api/v1/auth/verify-email") {
        balance = 100;
        return envelope({ account: VERIFIED, free_credits: 100 });
      }
      if (c.url === "/api/v1/credits/balance") return envelope({ total: balance, plan_credits: balance, bonus_credits: 0, plan: "free" });
      return undefined;
    });
    renderAt("/verify-email?token=acct.user.secret-1");
    expect(await screen.findByText("100 free plan credits were added to Trail Media.", { exact: false })).toHaveAttribute("role", "status");
    expect(screen.getByRole("heading", { name: "Email address confirmed" })).toBeInTheDocument();
    expect(verifyCalls(calls)).toHaveLength(1);
    expect(verifyCalls(calls)[0]!.method).toBe("POST");
    expect(verifyCalls(calls)[0]!.body).toEqual({ token: "acct.user.secret-1" });
    // The auth store now holds the verified account.
    await waitFor(() => expect(useAuthStore.getState().account?.email_verified).toBe(true));
    fireEvent.click(screen.getByRole("link", { name: "Go to your workspace" }));
    expect(await screen.findByText("100 credits")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
  });

  it("is public: a signed-out visitor verifies and is led to sign in, and the store is left alone", async () => {
    const { calls } = backend((c) => (c.url === "/api/v1/auth/verify-email" ? envelope({ account: VERIFIED, free_credits: 0 }) : undefined));
    const { router } = renderAt("/verify-email?token=acct.user.secret-2");
    expect(await screen.findByText("Trail Media is verified. This address had its free credits before, so none were added.", { exact: false })).toHaveAttribute("role", "status");
    expect(router.state.location.pathname).toBe("/verify-email");
    expect(verifyCalls(calls)[0]!.auth).toBeNull();
    expect(useAuthStore.getState().account).toBeNull();
    fireEvent.click(screen.getByRole("link", { name: "Go to your workspace" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
  });

  it("an expired link shows the API's error, and the signed-in owner asks for a new link", async () => {
    signInAs("owner");
    useAuthStore.setState({ account: UNVERIFIED as never });
    const { calls } = backend((c) => {
      if (c.url === "/api/v1/auth/verify-email")
        return failure(400, "token: is invalid or expired; ask for a new verification link", "VALIDATION_ERROR", [
          { field: "token", message: "is invalid or expired; ask for a new verification link" },
        ]);
      if (c.url === "/api/v1/auth/resend-verification") return envelope({});
      return undefined;
    });
    renderAt("/verify-email?token=acct.user.expired");
    expect(await screen.findByRole("alert")).toHaveTextContent("token: is invalid or expired; ask for a new verification link");
    expect(screen.getByRole("heading", { name: "This link did not work" })).toBeInTheDocument();
    expect(screen.getByText("The link is invalid or expired; ask for a new verification link.")).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Go to your workspace" })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Send a new link" }));
    expect(await screen.findByText("A new link was sent to ed@example.com.")).toBeInTheDocument();
    const resend = calls.filter((c) => c.url === "/api/v1/auth/resend-verification");
    expect(resend).toHaveLength(1);
    expect(resend[0]!.method).toBe("POST");
    expect(resend[0]!.auth).toBe("Bearer access-1");
    expect(screen.queryByRole("button", { name: "Send a new link" })).not.toBeInTheDocument();
  });

  it("a failed link offers no resend to a signed-out visitor or a non-owner, only the way to it", async () => {
    backend((c) => (c.url === "/api/v1/auth/verify-email" ? failure(400, "token: is invalid or expired", "VALIDATION_ERROR") : undefined));
    renderAt("/verify-email?token=bad-1");
    expect(await screen.findByRole("alert")).toHaveTextContent("token: is invalid or expired");
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "sign in" })).toHaveAttribute("href", "/signin");
    resetStores();
    signInAs("admin");
    backend((c) => (c.url === "/api/v1/auth/verify-email" ? failure(400, "token: is invalid or expired", "VALIDATION_ERROR") : undefined));
    renderAt("/verify-email?token=bad-2");
    expect(await screen.findByText("Only the account's owner can ask for a new link.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /link|Resend/ })).not.toBeInTheDocument();
  });

  it("an address already verified says so; a link without a token calls nothing", async () => {
    const { calls } = backend((c) => (c.url === "/api/v1/auth/verify-email" ? failure(409, "the email address is already verified", "CONFLICT") : undefined));
    renderAt("/verify-email?token=acct.user.twice");
    expect(await screen.findByText("This email address is already verified", { exact: false })).toHaveAttribute("role", "status");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to your workspace" })).toBeInTheDocument();
    resetStores();
    renderAt("/verify-email");
    expect(await screen.findByRole("alert")).toHaveTextContent("This link has no verification token.");
    expect(verifyCalls(calls)).toHaveLength(1);
  });

  it("a token is sent once however often the page asks (StrictMode runs effects twice); a failure may be retried", async () => {
    let n = 0;
    const { calls } = stubFetch(() => (++n === 1 ? failure(500, "boom", "INTERNAL_ERROR") : envelope({ account: VERIFIED, free_credits: 100 })));
    const a = verifyOnce("t-once");
    const b = verifyOnce("t-once");
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
    const c = await verifyOnce("t-once");
    const d = await verifyOnce("t-once");
    expect(c.free_credits).toBe(100);
    expect(d).toBe(c);
    expect(calls).toHaveLength(2);
  });
});

describe("the shell's verification banner", () => {
  it("tells the owner of an unverified account to confirm the email, and Resend asks the API for a new link", async () => {
    signInAs("owner");
    useAuthStore.setState({ account: UNVERIFIED as never });
    const { calls } = backend((c) => (c.url === "/api/v1/auth/resend-verification" ? envelope({}) : undefined));
    renderAt("/jobs");
    const banner = await screen.findByRole("region", { name: "Email verification" });
    expect(banner).toHaveTextContent("Confirm your email address to receive your free plan credits: open the link we sent to ed@example.com.");
    fireEvent.click(within(banner).getByRole("button", { name: "Resend" }));
    expect(await within(banner).findByText("A new link was sent to ed@example.com.")).toBeInTheDocument();
    expect(calls.filter((c) => c.url === "/api/v1/auth/resend-verification" && c.method === "POST")).toHaveLength(1);
  });

  it("shows the API's refusal of a resend", async () => {
    signInAs("owner");
    useAuthStore.setState({ account: UNVERIFIED as never });
    backend((c) => (c.url === "/api/v1/auth/resend-verification" ? failure(429, "too many sign-ups from this address; try again later", "RATE_LIMITED") : undefined));
    renderAt("/jobs");
    const banner = await screen.findByRole("region", { name: "Email verification" });
    fireEvent.click(within(banner).getByRole("button", { name: "Resend" }));
    expect(await within(banner).findByRole("alert")).toHaveTextContent("too many sign-ups from this address; try again later");
    expect(within(banner).getByRole("button", { name: "Resend" })).toBeEnabled();
  });

  it("is not shown to other roles of an unverified account, nor to the owner of a verified one (or one from before verification)", async () => {
    backend(() => undefined);
    for (const [role, account] of [
      ["editor", UNVERIFIED],
      ["viewer", UNVERIFIED],
      ["admin", UNVERIFIED],
      ["owner", VERIFIED],
      ["owner", ACCOUNT],
    ] as const) {
      resetStores();
      signInAs(role);
      useAuthStore.setState({ account: account as never });
      const { unmount } = renderAt("/jobs");
      expect(await screen.findByRole("heading", { name: "Jobs" })).toBeInTheDocument();
      expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
      expect(screen.queryByRole("button", { name: "Resend" })).not.toBeInTheDocument();
      unmount();
    }
  });
});
