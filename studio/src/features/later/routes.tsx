// Models, Endpoints and Pipelines arrive with later releases: each says so, and what to use meanwhile.
import type { RouteObject } from "react-router-dom";
import { EmptyState } from "../../components/EmptyState";
import { Page } from "../../components/Page";

function Later({ title, text, code }: { title: string; text: string; code: string }) {
  return (
    <Page title={title}>
      <EmptyState title={`${title} arrive with a later release`} code={code}>
        {text}
      </EmptyState>
    </Page>
  );
}

export const routes: RouteObject[] = [
  {
    path: "models",
    element: (
      <Later
        title="Models"
        text="The model registry is not in this release. Meanwhile, keep a model as a file of the run that trained it:"
        code={'run.upload_file("outputs/model.pkl", "model.pkl")\nrun.download_file("outputs/model.pkl", "model.pkl")  # later, from Run(experiment, run_id)'}
      />
    ),
  },
  {
    path: "endpoints",
    element: (
      <Later
        title="Endpoints"
        text="Online and batch endpoints are not in this release. Meanwhile, score in a job on a compute target:"
        code={'from mlyard import Experiment, ScriptRunConfig, Workspace\nws = Workspace.from_config()\nExperiment(ws, "score").submit(ScriptRunConfig(source_directory=".", script="score.py", compute_target="cpu-cluster"))'}
      />
    ),
  },
  {
    path: "pipelines",
    element: (
      <Later
        title="Pipelines"
        text="Pipelines and the designer are not in this release. Meanwhile, chain jobs from the SDK, each waiting for the one before:"
        code={'run = Experiment(ws, "prep").submit(prep_config)\nrun.wait_for_completion()\nExperiment(ws, "train").submit(train_config)'}
      />
    ),
  },
];
