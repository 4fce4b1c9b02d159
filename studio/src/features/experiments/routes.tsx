// Routes of the Experiments section, relative to the workspace URL.
import type { RouteObject } from "react-router-dom";
import { ComparePage } from "./ComparePage";
import { ExperimentRoute } from "./ExperimentPage";
import { ExperimentsPage } from "./ExperimentsPage";
import "./experiments.css";

export const routes: RouteObject[] = [
  { path: "experiments", element: <ExperimentsPage /> },
  { path: "experiments/:name", element: <ExperimentRoute /> },
  { path: "experiments/:name/compare", element: <ComparePage /> },
];
