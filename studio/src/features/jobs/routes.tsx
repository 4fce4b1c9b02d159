// Routes of the Jobs section, relative to the workspace URL.
import type { RouteObject } from "react-router-dom";
import { JobsPage } from "./JobsPage";

export const routes: RouteObject[] = [{ path: "jobs", element: <JobsPage /> }];
