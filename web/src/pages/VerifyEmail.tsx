// Where the verification mail links to (`/verify-email?token=…`, public, like
// sign-in): sends the token to `POST /api/v1/auth/verify-email/` once, then
// says what happened — the free credits granted, the address already
// verified, or the API's error (an invalid or expired link) with the way to a
// new link: `POST /auth/resend-verification/` needs the signed-in owner, so a
// signed-in owner gets the button here and everyone else is told to sign in
// as the owner (the shell's banner offers it too).
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { api, ApiError, type Schemas } from "../api";
import { ErrorBanner } from "../components/Errors";
import { ResendVerification } from "../components/Shell";
import { useAuthStore } from "../stores/authStore";
import { useCreditsStore } from "../stores/creditsStore";
import { AuthCard } from "./SignIn";

type Outcome =
  | { kind: "pending" }
  | { kind: "verified"; verified: Schemas["Verified"] }
  | { kind: "already" }
  | { kind: "failed"; error: ApiError | Error };

// One request per token, even when React runs the effect twice (StrictMode)
// or the page mounts again: a token works once, a second call would answer
// "already verified" for a verification that just succeeded.
const sent = new Map<string, Promise<Schemas["Verified"]>>();
export function verifyOnce(token: string): Promise<Schemas["Verified"]> {
  let p = sent.get(token);
  if (!p) {
    p = api.post("/api/v1/auth/verify-email", { body: { token } }).then(
      (r) => r.data,
      (e: unknown) => {
        sent.delete(token); // a later mount may try again
        throw e;
      },
    );
    sent.set(token, p);
  }
  return p;
}

const APP = "/planner/keywords";

export default function VerifyEmail() {
  const token = (useSearchParams()[0].get("token") ?? "").trim();
  const [outcome, setOutcome] = useState<Outcome>(
    token ? { kind: "pending" } : { kind: "failed", error: new Error("This link has no verification token. Open the link from the mail again.") },
  );
  useEffect(() => {
    if (!token) return;
    let live = true;
    verifyOnce(token).then(
      (verified) => live && setOutcome({ kind: "verified", verified }),
      (error: ApiError | Error) =>
        live && setOutcome(error instanceof ApiError && error.code === "CONFLICT" ? { kind: "already" } : { kind: "failed", error }),
    );
    return () => {
      live = false;
    };
  }, [token]);

  // A signed-in member of the verified account sees its new state at once
  // (no banner, the new balance) — once the start-up restore has answered, so
  // its `/me` cannot bring the unverified account back.
  const restoring = useAuthStore((s) => s.restoring);
  const accountId = useAuthStore((s) => s.account?.id);
  const verifiedAccount = outcome.kind === "verified" ? outcome.verified.account : null;
  useEffect(() => {
    if (!verifiedAccount || restoring || accountId !== verifiedAccount.id) return;
    useAuthStore.setState({ account: verifiedAccount });
    void useCreditsStore.getState().load();
  }, [verifiedAccount, restoring, accountId]);

  if (outcome.kind === "pending") {
    return (
      <AuthCard title="Confirming your email address">
        <p role="status" className="text-center text-sm text-slate-600">
          Checking your link…
        </p>
      </AuthCard>
    );
  }
  if (outcome.kind === "verified") {
    const { account, free_credits } = outcome.verified;
    return (
      <AuthCard title="Email address confirmed">
        <p role="status" className="rounded-md bg-green-50 px-3 py-2 text-sm text-green-900">
          {free_credits > 0
            ? `${free_credits} free plan credits were added to ${account.name}.`
            : `${account.name} is verified. This address had its free credits before, so none were added.`}
        </p>
        <ContinueLink />
      </AuthCard>
    );
  }
  if (outcome.kind === "already") {
    return (
      <AuthCard title="Email address confirmed">
        <p role="status" className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-800">
          This email address is already verified; the link has nothing left to do.
        </p>
        <ContinueLink />
      </AuthCard>
    );
  }
  const tokenError = outcome.error instanceof ApiError ? outcome.error.fieldErrors.token : undefined;
  return (
    <AuthCard title="This link did not work">
      <ErrorBanner error={outcome.error} />
      {tokenError ? <p className="text-sm text-slate-700">The link {tokenError}.</p> : null}
      <NewLink />
    </AuthCard>
  );
}

function ContinueLink() {
  return (
    <p className="text-center">
      <Link to={APP} className="inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
        Go to your workspace
      </Link>
    </p>
  );
}

/** How to get a new link: only the signed-in owner may ask for one. */
function NewLink() {
  const restoring = useAuthStore((s) => s.restoring);
  const user = useAuthStore((s) => s.user);
  const signedIn = useAuthStore((s) => s.access !== null);
  if (restoring) return null;
  if (signedIn && user?.role === "owner") {
    return (
      <div className="space-y-2 text-sm text-slate-700">
        <p>Ask for a new link; it goes to {user.email} and the old ones stop working.</p>
        <ResendVerification label="Send a new link" />
      </div>
    );
  }
  if (signedIn) {
    return <p className="text-sm text-slate-700">Only the account's owner can ask for a new link.</p>;
  }
  return (
    <p className="text-sm text-slate-700">
      To get a new link,{" "}
      <Link className="text-indigo-700 underline" to="/signin" state={{ from: APP }}>
        sign in
      </Link>{" "}
      as the account's owner and choose “Resend” in the banner at the top of the page.
    </p>
  );
}
