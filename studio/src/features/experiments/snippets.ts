// SDK snippets the empty states offer: the next thing to type when a page has nothing to show.
export const FIRST_RUN = `from mlyard import Experiment, Workspace

ws = Workspace.from_config()
run = Experiment(ws, "my-experiment").start_logging()
run.log("accuracy", 0.91)
run.complete()`;

export function firstRunIn(experiment: string): string {
  return FIRST_RUN.replace('"my-experiment"', JSON.stringify(experiment));
}

export const FILTER_EXAMPLES = [
  "metrics.accuracy > 0.9",
  "tags.team = 'vision'",
  "params.lr = '0.01' and attributes.status = 'Completed'",
];
