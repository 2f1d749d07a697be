/** One form of a command, as `vigil ... --help` shows it. */
export interface CommandForm {
  /** What follows "vigil ": `device add ID --profile P [--out DIR]`. */
  synopsis: string;
  /** What it does, in a sentence or two. */
  about: string;
  /** Its options: `['--out DIR', 'where the bundle goes']`. `--data-dir` and `--help` are added. */
  options?: readonly (readonly [string, string])[];
}

/**
 * A command's help: its forms by subcommand (`''` for a command without subcommands, or the form
 * without one, like `vigil audit`), and notes printed under them.
 */
export interface CommandHelp {
  forms: Readonly<Record<string, CommandForm>>;
  notes?: string;
}

/** The `--yes` option of a command that asks before a change that cannot be undone. */
export const YES_OPTION: readonly [string, string] = [
  '--yes',
  'do not ask (required where there is no terminal to ask on)',
];

const COMMON: readonly (readonly [string, string])[] = [
  ['--data-dir DIR', 'the data directory (default ./vigil-data, or $VIGIL_DATA_DIR)'],
  ['-h, --help', 'this help'],
];

/** The subcommands of a command (the forms other than `''`). */
export function subcommandsOf(help: CommandHelp): string[] {
  return Object.keys(help.forms).filter((k) => k !== '');
}

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.min(24, Math.max(...rows.map(([k]) => k.length)));
  return rows
    .map(([k, v]) =>
      k.length > width ? `  ${k}\n  ${' '.repeat(width)}  ${v}` : `  ${k.padEnd(width)}  ${v}`,
    )
    .join('\n');
}

/** The `usage:` lines of a command, or of one of its forms (for usage errors: printed once). */
export function usageLines(help: CommandHelp, sub?: string): string {
  const form = sub === undefined ? undefined : help.forms[sub];
  if (form) return `usage: vigil ${form.synopsis}`;
  const all = Object.values(help.forms).map((f) => `  vigil ${f.synopsis}`);
  return all.length === 1 ? `usage: ${all[0]?.trim()}` : `usage:\n${all.join('\n')}`;
}

/**
 * `vigil NAME [SUB] --help`: the form's synopsis, what it does and its options; for a command with
 * several forms and no subcommand given, every synopsis with one line on each.
 */
export function formatHelp(name: string, help: CommandHelp, sub?: string): string {
  const forms = Object.entries(help.forms);
  const one =
    sub !== undefined && help.forms[sub] ? help.forms[sub] : forms.length === 1 ? forms[0]?.[1] : undefined;
  const parts: string[] = [];
  if (one) {
    parts.push(
      `usage: vigil ${one.synopsis}`,
      one.about,
      `options:\n${table([...(one.options ?? []), ...COMMON])}`,
    );
  } else {
    parts.push(usageLines(help));
    // One line each: the first sentence, up to its first colon.
    parts.push(
      table(
        forms.map(([k, f]) => [k === '' ? name : `${name} ${k}`, f.about.split(/[.:](?:\s|$)/)[0] ?? '']),
      ),
    );
    parts.push(
      `options:\n${table(COMMON)}\nrun "vigil ${name} SUBCOMMAND --help" for the options of one form.`,
    );
  }
  if (help.notes) parts.push(help.notes);
  return `${parts.join('\n\n')}\n`;
}
