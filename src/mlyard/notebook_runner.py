"""Run a notebook headlessly, papermill-style: ``python -m mlyard.notebook_runner NOTEBOOK
[--parameters params.json] [--output outputs/NOTEBOOK] [--kernel python3] [--cell-timeout S]``.

What ``mlyard notebook run`` and ``Notebook.run`` submit as a job's command. Parameters (a JSON
object) become a cell of assignments, tagged ``injected-parameters``, placed after the cell
tagged ``parameters`` (or first, when none is). The cells run with nbclient in a kernel of the
job's interpreter (``python3``: the environment needs ``ipykernel``), in the job's folder and with
its variables, so ``Run.get_context()`` in the notebook logs to the job's run. Each cell's text
output is printed as it ends, for the run's log. The executed copy is written to ``--output``
(under ``outputs/``, it becomes a file of the run) whether the notebook succeeds or fails; a
failing cell ends the command with exit code 1 and its error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def parameters_cell(parameters: dict[str, Any]) -> str:
    lines = ["# Parameters injected by mlyard"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    return "\n".join(lines)


def inject(notebook: Any, parameters: dict[str, Any]) -> None:
    import nbformat

    if not parameters:
        return
    for name in parameters:
        if not name.isidentifier():
            raise SystemExit(f"[mlyard] parameter {name!r} is not a Python name")
    tags = {"tags": ["injected-parameters"]}
    cell = nbformat.v4.new_code_cell(parameters_cell(parameters), metadata=tags)  # type: ignore[no-untyped-call]
    cells = notebook.cells
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    cells.insert(tagged[-1] + 1 if tagged else 0, cell)


def _print_outputs(cell: Any, index: int, total: int) -> None:
    print(f"[mlyard] cell {index + 1}/{total} done", flush=True)
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            sys.stdout.write(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text:
                print(text)
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlyard.notebook_runner", description=__doc__.split("\n")[0])
    parser.add_argument("notebook")
    parser.add_argument("--parameters", help="a JSON file holding an object of parameters")
    parser.add_argument("--output", help="where the executed copy goes (default: outputs/<notebook>)")
    parser.add_argument("--kernel", default="python3")
    parser.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (default: no limit)")
    args = parser.parse_args(argv)

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    source = Path(args.notebook)
    output = Path(args.output or f"outputs/{source.name}")
    parameters = json.loads(Path(args.parameters).read_text()) if args.parameters else {}
    if not isinstance(parameters, dict):
        raise SystemExit("[mlyard] the parameters must be a JSON object")
    notebook = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    inject(notebook, parameters)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    print(f"[mlyard] running {source} ({len(code_cells)} code cells, kernel '{args.kernel}')", flush=True)

    def executed(cell: Any, cell_index: int, **_: Any) -> None:
        if cell.cell_type == "code":
            _print_outputs(cell, code_cells.index(cell), len(code_cells))

    client = NotebookClient(
        notebook,
        kernel_name=args.kernel,
        timeout=int(args.cell_timeout) if args.cell_timeout else None,
        resources={"metadata": {"path": str(Path.cwd())}},
        on_cell_executed=executed,
    )
    failed: CellExecutionError | None = None
    try:
        client.execute()
    except CellExecutionError as exc:
        failed = exc
    finally:
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, output)  # type: ignore[no-untyped-call]
        print(f"[mlyard] executed copy written to {output}", flush=True)
    if failed is not None:
        print(f"[mlyard] the notebook failed:\n{failed}", file=sys.stderr, flush=True)
        name = getattr(failed, "ename", "") or "CellExecutionError"
        print(f"{name}: {getattr(failed, 'evalue', '')}", file=sys.stderr, flush=True)
        return 1
    print("[mlyard] the notebook ran to its end", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
