// Pages of modules the web app does not cover yet. They say so plainly and
// never show invented data.
import { NotYet } from "../components/NotYet";

const LATER = "This page is not built in the web app yet; the API already serves it";

export function Ideas() {
  return <NotYet title="Ideas" reason={`${LATER} (/api/v1/planner/ideas/).`} />;
}
export function Content() {
  return <NotYet title="Content" reason={`${LATER} (/api/v1/writer/content/).`} />;
}
export function Images() {
  return <NotYet title="Images" reason={`${LATER} (/api/v1/writer/images/).`} />;
}
export function NotFound() {
  return <NotYet title="Not found" reason="There is no page at this address." />;
}
