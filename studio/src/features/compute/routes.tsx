// Routes of the Compute section, relative to the workspace URL (S3 owns this feature).
import type { RouteObject } from "react-router-dom";
import { ComputePage } from "./ComputePage";

export const routes: RouteObject[] = [{ path: "compute", element: <ComputePage /> }];
