import { createInterface } from 'node:readline/promises';
import { escapeControlKeepLayout } from '../escape-control.ts';
import { VIGIL_VERSION } from '../vigil-version.ts';
import { formatHelp, subcommandsOf, usageLines } from './command-help.ts';
import { COMMANDS } from './command-registry.ts';
import { didYouMean } from './did-you-mean.ts';
import { environmentError, reportError } from './error-report.ts';
import type { CliIo } from './io.ts';

function topHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return `vigil: secure IoT monitoring for cold chains, clinics and facilities

usage: vigil COMMAND [SUBCOMMAND] [options]

${names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]?.summary}`).join('\n')}

Every command takes --data-dir DIR (default ./vigil-data, or $VIGIL_DATA_DIR) and -h/--help.
"vigil COMMAND --help" shows a command's usage. Exit codes: 0 ok, 1 failed, 2 usage error,
70 internal error (a bug).
`;
}

/** `-h`/`--help` among the arguments (before a `--`). */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

/**
 * Where the subcommand is: the first word that is not a flag or the value of `--data-dir` (the one
 * flag every command takes, so `vigil device --data-dir D list` works too); -1 when none.
 */
function subIndex(args: string[]): number {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') return -1;
    if (a === '--data-dir') i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

/** Runs `vigil ARGV`; returns the exit code. Only the entry point below calls process.exit. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(topHelp());
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const i = subIndex(rest);
    const topic = rest[i];
    if (topic !== undefined && COMMANDS[topic])
      return main([topic, ...rest.slice(0, i), ...rest.slice(i + 1), '--help'], io);
    if (topic !== undefined) {
      io.err(`vigil: no help on "${topic}"${didYouMean(topic, Object.keys(COMMANDS))}\n\n${topHelp()}`);
      return 2;
    }
    io.out(topHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    // The Node that runs it, too: an installed package runs on its pinned Node 24 (bin/vigil).
    io.out(`vigil ${VIGIL_VERSION} (Node ${process.version})`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(
      `vigil: unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}\nrun "vigil --help" for the list of commands`,
    );
    return 2;
  }
  const mod = await entry.load();
  const subs = subcommandsOf(mod.help);
  // The subcommand: the first word that is one (flags may come before it); else the word in its
  // place, to say it is none.
  const end = rest.indexOf('--');
  const at = rest.findIndex((a, i) => (end < 0 || i < end) && subs.includes(a));
  const sub = at < 0 ? undefined : rest[at];
  const bare = subIndex(rest);
  const word = sub ?? (bare === 0 || (bare > 0 && !mod.help.forms['']) ? rest[bare] : undefined);
  const label = `vigil ${name}${sub ? ` ${sub}` : ''}`;
  if (wantsHelp(rest)) {
    io.out(formatHelp(name, mod.help, sub));
    return 0;
  }
  // A command with subcommands needs one (unless a form goes without, like `vigil audit`).
  if (subs.length > 0 && !sub && (word !== undefined || !mod.help.forms[''])) {
    io.err(
      word === undefined
        ? `${label}: a subcommand is needed: ${subs.join(', ')}\n${usageLines(mod.help)}`
        : `${label}: unknown subcommand "${word}"${didYouMean(word, subs)}; one of ${subs.join(', ')}\n${usageLines(mod.help)}`,
    );
    return 2;
  }
  // The command reads its subcommand first.
  const args = sub && at > 0 ? [sub, ...rest.slice(0, at), ...rest.slice(at + 1)] : rest;
  try {
    return await mod.run(args, io);
  } catch (err) {
    const r = reportError(err);
    io.err(`${label}: ${r.message}${r.usage ? `\n${usageLines(mod.help, sub)}` : ''}`);
    return r.exitCode;
  }
}

/** Asks one question on the terminal (the prompt on stderr, so stdout stays clean). */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

if (import.meta.main || process.argv[1]?.endsWith('/bin/vigil')) {
  const ac = new AbortController();
  // The first signal stops gracefully; another one later forces. A signal arriving within half a
  // second of the first is the same request delivered twice (by the terminal to the process group
  // and by the launcher in bin/vigil that forwards it).
  let firstSignalAt = 0;
  const onSignal = () => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      ac.abort();
    } else if (now - firstSignalAt > 500) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // Output closed by its reader (`vigil readings ... | head`): stop quietly. Output that cannot be
  // written (a full disk): say so on stderr.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`vigil: cannot write the output: ${environmentError(err) ?? err.message}\n`);
    process.exit(1);
  });
  const stdin = Boolean(process.stdin.isTTY);
  const stdout = Boolean(process.stdout.isTTY);
  // Every line reaches the terminal with control characters escaped (src/escape-control.ts);
  // commands also escape the user-controlled values they print, so a value cannot add lines.
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${escapeControlKeepLayout(l)}\n`),
    err: (l) => process.stderr.write(`${escapeControlKeepLayout(l)}\n`),
    env: process.env,
    signal: ac.signal,
    ...(stdin || stdout ? { terminal: { stdin, stdout, ask } } : {}),
  });
  process.exitCode = code;
  // Let stdout drain, then leave even if a library left a handle open.
  setTimeout(() => process.exit(code), 200).unref();
}
