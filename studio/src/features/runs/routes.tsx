// Routes of the Run section, relative to the workspace URL.
import type { RouteObject } from "react-router-dom";
import { RunPage } from "./RunPage";

export const routes: RouteObject[] = [{ path: "runs/:runId", element: <RunPage /> }];
