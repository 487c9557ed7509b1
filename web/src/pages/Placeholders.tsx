// Pages of modules the web app does not cover yet. They say so plainly and
// never show invented data.
import { NotYet } from "../components/NotYet";

const LATER = "This page is not built in the web app yet; the API already serves it";

export function Settings() {
  return <NotYet title="Settings" reason={`${LATER} (/api/v1/users/, /api/v1/sites/, /api/v1/audit-log/).`} />;
}
export function Integration() {
  return <NotYet title="Integration" reason="The WordPress integration module is not available yet: its API is still being built." />;
}
export function Automation() {
  return <NotYet title="Automation" reason="The automation module is not available yet: its API is still being built." />;
}
export function NotFound() {
  return <NotYet title="Not found" reason="There is no page at this address." />;
}
