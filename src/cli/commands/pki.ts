import { createLifecycleServices } from '../../lifecycle/lifecycle-services.ts';
import { parseCommand, withDataDir } from '../command-context.ts';
import type { CommandHelp } from '../command-help.ts';
import type { CliIo } from '../io.ts';

export const pkiHelp: CommandHelp = {
  forms: {
    rollover: {
      synopsis: 'pki rollover [--json]',
      about:
        'Creates a new root CA. A running `vigil start` pushes the trust bundle (old + new) to the devices with a trust_bundle command, then issues new device and server certificates from the new root; the old root stays trusted until every device has renewed, then it is retired (docs/protocol.md §13).',
      options: [['--json', 'print the rollover state as one JSON object']],
    },
    status: {
      synopsis: 'pki status [--json]',
      about:
        'The roots, the rollover phase (distributing, switched, retired) and the devices on the old and the new root.',
      options: [['--json', 'print the status as one JSON object']],
    },
  },
};

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** `vigil pki rollover|status`. */
export async function pkiCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommand(
    rest,
    { json: { type: 'boolean', default: false } },
    { positionals: false },
  );
  return withDataDir(values['data-dir'], async (ctx) => {
    const { rollover } = createLifecycleServices(ctx);
    if (sub === 'rollover') {
      const s = await rollover.start('cli');
      if (values.json) io.out(JSON.stringify({ ...s, startedAt: iso(s.startedAt) }));
      else {
        io.out(`new root CA ${s.newCa} (previous ${s.oldCa} stays trusted until every device has renewed)`);
        io.out(
          'a running `vigil start` pushes the trust bundle, then renews every device certificate; see `vigil pki status`.',
        );
      }
      return 0;
    }
    const st = await rollover.status();
    if (values.json) {
      io.out(
        JSON.stringify({
          ...st,
          startedAt: st.startedAt === null ? null : iso(st.startedAt),
          currentCa: { ...st.currentCa, notAfter: iso(st.currentCa.notAfter) },
          previousCa: st.previousCa ? { ...st.previousCa, notAfter: iso(st.previousCa.notAfter) } : null,
        }),
      );
      return 0;
    }
    io.out(
      `root CA      ${st.currentCa.subject} ${st.currentCa.serial} (until ${iso(st.currentCa.notAfter)})`,
    );
    if (st.previousCa)
      io.out(`previous CA  ${st.previousCa.subject} ${st.previousCa.serial} (still trusted)`);
    io.out(`rollover     ${st.phase}${st.startedAt !== null ? ` since ${iso(st.startedAt)}` : ''}`);
    io.out(
      `devices      ${st.devices} enabled: ${st.onNewCa} on the current root, ${st.onOldCa} on the previous one`,
    );
    if (st.phase === 'distributing' || st.phase === 'switched')
      io.out(`trust bundle acknowledged by ${st.trustBundleAcked} of ${st.devices}`);
    return 0;
  });
}
