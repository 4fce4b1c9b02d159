// Every workspace section's routes, one file per feature (features/<feature>/routes.tsx).
// To add a feature: create its routes.tsx exporting `routes: RouteObject[]` (paths relative to
// the workspace URL) and add one line here.
import type { RouteObject } from "react-router-dom";
import { routes as access } from "./access/routes";
import { routes as compute } from "./compute/routes";
import { routes as data } from "./data/routes";
import { routes as experiments } from "./experiments/routes";
import { routes as home } from "./home/routes";
import { routes as jobs } from "./jobs/routes";
import { routes as later } from "./later/routes";
import { routes as notebooks } from "./notebooks/routes";
import { routes as runs } from "./runs/routes";
import { routes as settings } from "./settings/routes";

export const workspaceRoutes: RouteObject[] = [
  ...home,
  ...notebooks,
  ...experiments,
  ...runs,
  ...jobs,
  ...compute,
  ...data,
  ...later,
  ...access,
  ...settings,
];
