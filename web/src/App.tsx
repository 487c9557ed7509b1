// Routes. Every page but sign-in is split into its own chunk (React.lazy), so
// the first load carries only the router, the stores and the shell.
import { lazy } from "react";
import { createBrowserRouter, Navigate, RouterProvider, type RouteObject } from "react-router";
import { RequireAuth } from "./components/RequireAuth";
import { Shell } from "./components/Shell";
import SignIn from "./pages/SignIn";

const Register = lazy(() => import("./pages/Register"));
const VerifyEmail = lazy(() => import("./pages/VerifyEmail"));
const ChangePassword = lazy(() => import("./pages/ChangePassword"));
const Keywords = lazy(() => import("./pages/planner/Keywords"));
const Import = lazy(() => import("./pages/planner/Import"));
const Clusters = lazy(() => import("./pages/planner/Clusters"));
const Tasks = lazy(() => import("./pages/planner/Tasks"));
const Jobs = lazy(() => import("./pages/Jobs"));
const Credits = lazy(() => import("./pages/Credits"));
const Users = lazy(() => import("./pages/settings/Users"));
const Sites = lazy(() => import("./pages/settings/Sites"));
const AuditLog = lazy(() => import("./pages/settings/AuditLog"));
const Integration = lazy(() => import("./pages/integration/Integration"));
const Automation = lazy(() => import("./pages/automation/Automation"));
const Ideas = lazy(() => import("./pages/planner/Ideas"));
const Content = lazy(() => import("./pages/writer/Content"));
const Article = lazy(() => import("./pages/writer/Article"));
const Images = lazy(() => import("./pages/writer/Images"));
const NotFound = lazy(() => import("./pages/Placeholders").then((m) => ({ default: m.NotFound })));

export const routes: RouteObject[] = [
  { path: "/signin", element: <SignIn /> },
  { path: "/register", element: <Register /> },
  // The verification mail's link (public: the token is the credential).
  { path: "/verify-email", element: <VerifyEmail /> },
  {
    element: <RequireAuth />,
    children: [
      {
        element: <Shell />,
        children: [
          { index: true, element: <Navigate to="/planner/keywords" replace /> },
          { path: "planner/keywords", element: <Keywords /> },
          { path: "planner/import", element: <Import /> },
          { path: "planner/clusters", element: <Clusters /> },
          { path: "planner/ideas", element: <Ideas /> },
          { path: "planner/tasks", element: <Tasks /> },
          { path: "writer/content", element: <Content /> },
          { path: "writer/content/:id", element: <Article /> },
          { path: "writer/images", element: <Images /> },
          { path: "jobs", element: <Jobs /> },
          { path: "integration", element: <Integration /> },
          { path: "automation", element: <Automation /> },
          { path: "credits", element: <Credits /> },
          { path: "settings", element: <Navigate to="/settings/users" replace /> },
          { path: "settings/users", element: <Users /> },
          { path: "settings/sites", element: <Sites /> },
          { path: "settings/audit-log", element: <AuditLog /> },
          { path: "account/password", element: <ChangePassword /> },
          { path: "*", element: <NotFound /> },
        ],
      },
    ],
  },
];

const router = createBrowserRouter(routes);

export default function App() {
  return <RouterProvider router={router} />;
}
