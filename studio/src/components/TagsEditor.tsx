// Tags as key/value rows: add, edit, remove. The value is a plain object, as the API takes it.
export function TagsEditor({ value, onChange }: { value: Record<string, string>; onChange: (next: Record<string, string>) => void }) {
  const rows = Object.entries(value);
  function set(index: number, key: string, val: string) {
    const next = rows.map((r, i) => (i === index ? [key, val] : r));
    onChange(Object.fromEntries(next));
  }
  return (
    <div className="tags-editor">
      {rows.map(([k, v], i) => (
        <div className="tag-row" key={i}>
          <input aria-label="Tag name" placeholder="name" value={k} onChange={(e) => set(i, e.target.value, v)} />
          <input aria-label="Tag value" placeholder="value" value={v} onChange={(e) => set(i, k, e.target.value)} />
          <button type="button" className="btn-icon" aria-label={`Remove tag ${k}`} onClick={() => onChange(Object.fromEntries(rows.filter((_, j) => j !== i)))}>
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn-small"
        disabled={"" in value}
        onClick={() => onChange({ ...value, "": "" })}
      >
        Add tag
      </button>
    </div>
  );
}

/** The tags without empty names, ready to send. */
export function cleanTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k.trim() !== "").map(([k, v]) => [k.trim(), v]));
}
