import type { CommandHelp } from './command-help.ts';
import type { CliIo } from './io.ts';

/** A command: a plain async function of its arguments (after the name) and the io it may use. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;

export interface CommandModule {
  run: Command;
  help: CommandHelp;
}

export interface CommandEntry {
  /** One line for `vigil --help`. */
  summary: string;
  /** Loaded on use, so that `vigil readings` does not load the server or the PDF writer. */
  load(): Promise<CommandModule>;
}

/** Every `vigil` command, in the order `vigil --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  start: {
    summary: 'run broker, ingest, storage, API and dashboard (creates the data directory)',
    load: async () => {
      const m = await import('./commands/start.ts');
      return { run: m.startCommand, help: m.startHelp };
    },
  },
  init: {
    summary: 'create a data directory without starting anything',
    load: async () => {
      const m = await import('./commands/init.ts');
      return { run: m.initCommand, help: m.initHelp };
    },
  },
  device: {
    summary: 'add, list, show, disable, enable, revoke and delete devices; rotate their keys',
    load: async () => {
      const m = await import('./commands/device.ts');
      return { run: m.deviceCommand, help: m.deviceHelp };
    },
  },
  command: {
    summary: 'signed commands to a device: send one (optionally wait for its ack), list them',
    load: async () => {
      const m = await import('./commands/command.ts');
      return { run: m.commandCommand, help: m.commandHelp };
    },
  },
  firmware: {
    summary: 'signed firmware: make a signing key, sign an image offline, upload and list images',
    load: async () => {
      const m = await import('./commands/firmware.ts');
      return { run: m.firmwareCommand, help: m.firmwareHelp };
    },
  },
  ota: {
    summary: 'OTA campaigns in staged waves: start, status, pause, resume, abort',
    load: async () => {
      const m = await import('./commands/ota.ts');
      return { run: m.otaCommand, help: m.otaHelp };
    },
  },
  readings: {
    summary: "a device's stored readings, or follow new ones (--follow)",
    load: async () => {
      const m = await import('./commands/readings.ts');
      return { run: m.readingsCommand, help: m.readingsHelp };
    },
  },
  alarms: {
    summary: 'alarms, newest raised first, or follow changes (--follow)',
    load: async () => {
      const m = await import('./commands/alarms.ts');
      return { run: m.alarmsCommand, help: m.alarmsHelp };
    },
  },
  shipment: {
    summary: 'create, list, show and deliver shipments',
    load: async () => {
      const m = await import('./commands/shipment.ts');
      return { run: m.shipmentCommand, help: m.shipmentHelp };
    },
  },
  report: {
    summary: 'signed shipment reports: write, verify, show the signing key',
    load: async () => {
      const m = await import('./commands/report.ts');
      return { run: m.reportCommand, help: m.reportHelp };
    },
  },
  notify: {
    summary: 'alarm notifications: send a test, list the outbox, who is on call',
    load: async () => {
      const m = await import('./commands/notify.ts');
      return { run: m.notifyCommand, help: m.notifyHelp };
    },
  },
  backup: {
    summary: 'encrypted backups: init, create, list, verify, restore, drill',
    load: async () => {
      const m = await import('./commands/backup.ts');
      return { run: m.backupCommand, help: m.backupHelp };
    },
  },
  audit: {
    summary: 'print or verify the hash-chained audit log, sign checkpoints of it',
    load: async () => {
      const m = await import('./commands/audit.ts');
      return { run: m.auditCommand, help: m.auditHelp };
    },
  },
  'claim-cert': {
    summary: 'a shared claim certificate for a factory batch (claim-based provisioning)',
    load: async () => {
      const m = await import('./commands/claims.ts');
      return { run: m.claimCertCommand, help: m.claimCertHelp };
    },
  },
  gateway: {
    summary: 'edge gateways: add (certificate and bundle), bind and unbind devices, list; run one on a site',
    load: async () => {
      const m = await import('./commands/gateway.ts');
      return { run: m.gatewayCommand, help: m.gatewayHelp };
    },
  },
  claims: {
    summary: 'provisioning claims: list, approve, reject; claim batches; quarantined identities',
    load: async () => {
      const m = await import('./commands/claims.ts');
      return { run: m.claimsCommand, help: m.claimsHelp };
    },
  },
  pki: {
    summary: 'CA rollover and its progress',
    load: async () => {
      const m = await import('./commands/pki.ts');
      return { run: m.pkiCommand, help: m.pkiHelp };
    },
  },
  keys: {
    summary: 'rotate the master key: re-seal every sealed key, re-key the database',
    load: async () => {
      const m = await import('./commands/keys.ts');
      return { run: m.keysCommand, help: m.keysHelp };
    },
  },
  user: {
    summary: 'dashboard accounts: add, list, disable, enable, reset MFA or password',
    load: async () => {
      const m = await import('./commands/user.ts');
      return { run: m.userCommand, help: m.userHelp };
    },
  },
  doctor: {
    summary: 'check the install against secure and reliable defaults, each finding with its fix',
    load: async () => {
      const m = await import('./commands/doctor.ts');
      return { run: m.doctorCommand, help: m.doctorHelp };
    },
  },
  sim: {
    summary: 'simulated devices over mTLS through the real path',
    load: async () => {
      const m = await import('./commands/sim.ts');
      return { run: m.simCommand, help: m.simHelp };
    },
  },
  seclab: {
    summary: 'attack a Vigil (throwaway, or the one on --data-dir) and report what got through',
    load: async () => {
      const m = await import('./commands/seclab.ts');
      return { run: m.seclabCommand, help: m.seclabHelp };
    },
  },
  'mosquitto-config': {
    summary: 'a Mosquitto configuration (mTLS, CRL, ACL) for the scale-out mode',
    load: async () => {
      const m = await import('./commands/mosquitto-config.ts');
      return { run: m.mosquittoConfigCommand, help: m.mosquittoConfigHelp };
    },
  },
};
