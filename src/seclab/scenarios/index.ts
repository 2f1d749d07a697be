import type { Scenario } from '../scenario.ts';
import { API_ABUSE_SCENARIOS } from './api-abuse.ts';
import { DOS_LISTENER_SCENARIOS } from './dos.ts';
import { DOS_PUBLISH_SCENARIOS } from './dos-publish.ts';
import { DOWNGRADE_SCENARIOS } from './downgrade.ts';
import { MITM_TRANSPORT_SCENARIOS } from './mitm.ts';
import { MITM_ENVELOPE_SCENARIOS } from './mitm-envelope.ts';
import { roleMatrix } from './role-matrix.ts';
import { SNIFFING_SCENARIOS } from './sniffing.ts';
import { TAMPERING_SCENARIOS } from './tampering.ts';
import { testsslScenario } from './testssl.ts';
import { UNAUTHORIZED_MQTT_SCENARIOS } from './unauthorized-mqtt.ts';

/** Every scenario, in the order a run takes them (the floods last, so they do not disturb the rest). */
export const ALL_SCENARIOS: readonly Scenario[] = [
  ...SNIFFING_SCENARIOS,
  ...MITM_TRANSPORT_SCENARIOS,
  ...DOWNGRADE_SCENARIOS,
  testsslScenario,
  ...MITM_ENVELOPE_SCENARIOS,
  ...UNAUTHORIZED_MQTT_SCENARIOS,
  roleMatrix,
  ...API_ABUSE_SCENARIOS,
  ...TAMPERING_SCENARIOS,
  ...DOS_LISTENER_SCENARIOS,
  ...DOS_PUBLISH_SCENARIOS,
];
