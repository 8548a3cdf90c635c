/** One choice of a PickOne: the value sent, and the text shown. */
export interface PickChoice {
  id: string;
  text: string;
}

/** What a PickOne shows and reports. */
export interface PickOneProps {
  label: string;
  value: string;
  choices: readonly PickChoice[];
  /** The text of the empty first choice ("Choose…", "Default"). */
  none?: string;
  required?: boolean;
  onPick: (id: string) => void;
}

/** A labelled select of things by id (a node, a group, a user), with an empty first choice. */
export function PickOne(p: PickOneProps) {
  return (
    <label>
      {p.label}
      <select required={p.required} value={p.value} onChange={(e) => p.onPick(e.currentTarget.value)}>
        <option value="">{p.none ?? 'Choose…'}</option>
        {p.choices.map((c) => (
          <option key={c.id} value={c.id}>
            {c.text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Groups as choices, shown by their path. */
export const groupChoices = (groups: readonly { id: string; path: string }[]): PickChoice[] => groups.map((g) => ({ id: g.id, text: g.path }));
