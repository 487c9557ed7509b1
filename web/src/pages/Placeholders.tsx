// The page for an address the app does not know. It says so plainly and
// never shows invented data.
import { NotYet } from "../components/NotYet";

export function NotFound() {
  return <NotYet title="Not found" reason="There is no page at this address." />;
}
