// The runs table's column picker: the experiment's params, tags and metrics, each a checkbox.
import { useState } from "react";
import { columnId, type ColumnId, type ColumnKeys, type Kind } from "./columns";

const KINDS: [Kind, string][] = [
  ["metrics", "Metrics (latest value)"],
  ["params", "Parameters"],
  ["tags", "Tags"],
];

export function ColumnPicker({
  keys,
  value,
  onToggle,
}: {
  keys: ColumnKeys;
  value: ColumnId[];
  onToggle: (id: ColumnId) => void;
}) {
  const [open, setOpen] = useState(false);
  const [needle, setNeedle] = useState("");
  const empty = !keys.metrics.length && !keys.params.length && !keys.tags.length;
  return (
    <div className="experiments-column-picker">
      <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Columns ({value.length})
      </button>
      {open && (
        <div className="experiments-popover" role="dialog" aria-label="Choose columns">
          {empty ? (
            <p className="muted">The runs have no params, tags or metrics yet.</p>
          ) : (
            <>
              <input
                type="search"
                placeholder="Find a column"
                value={needle}
                onChange={(e) => setNeedle(e.target.value)}
                aria-label="Find a column"
                autoFocus
              />
              {KINDS.map(([kind, title]) => {
                const names = keys[kind].filter((n) => n.toLowerCase().includes(needle.toLowerCase()));
                if (!names.length) return null;
                return (
                  <fieldset key={kind}>
                    <legend>{title}</legend>
                    {names.map((name) => {
                      const id = columnId(kind, name);
                      return (
                        <label key={id} className="experiments-check-row">
                          <input type="checkbox" checked={value.includes(id)} onChange={() => onToggle(id)} /> {name}
                        </label>
                      );
                    })}
                  </fieldset>
                );
              })}
            </>
          )}
          <div className="experiments-popover-actions">
            <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
