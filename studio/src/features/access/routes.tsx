// Routes of the Access section, relative to the workspace URL (S3 owns this feature).
import type { RouteObject } from "react-router-dom";
import { AccessPage } from "./AccessPage";

export const routes: RouteObject[] = [{ path: "access", element: <AccessPage /> }];
