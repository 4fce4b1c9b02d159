// Routes of the Notebooks section, relative to the workspace URL (S3 owns this feature).
import type { RouteObject } from "react-router-dom";
import { NotebooksPage } from "./NotebooksPage";

export const routes: RouteObject[] = [{ path: "notebooks", element: <NotebooksPage /> }];
