// Routes of the Data section, relative to the workspace URL (S3 owns this feature).
import type { RouteObject } from "react-router-dom";
import { DataPage } from "./DataPage";
import { DatasetPage } from "./DatasetPage";

export const routes: RouteObject[] = [
  { path: "data", element: <DataPage /> },
  { path: "data/datasets/:name", element: <DatasetPage /> },
];
