/**
 * Vigil's one JSON style (CLI `--json`, API answers, live-feed frames): every field name
 * camelCase, every time an ISO 8601 UTC string with milliseconds (`2026-12-06T19:34:09.123Z`),
 * never a number. Used by the CLI's and the API's style tests alike.
 */
import assert from 'node:assert/strict';

export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/**
 * Field names that hold a time: `ts`, `at`, `eta`, a span's bounds (`start`, `end`, `from`, `to`,
 * `since`, `until`), `now`, `expires`, certificate bounds, and any name ending in At, Ts or Time.
 */
export const TIME_KEY =
  /^(ts|at|eta|start|end|from|to|since|until|now|expires|notBefore|notAfter)$|(At|Ts|Time)$/;
/** A wall-clock time of day (`09:00`, a schedule's handoff or a routing window): not an instant. */
const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
/** Objects whose keys are not API field names: sample fields (protocol), recorded details, profiles. */
export const FREE_FORM: ReadonlySet<string> = new Set(['data', 'detail', 'profile']);

/**
 * Asserts the style on `v` and everything inside it. `freeForm` names objects whose keys are data
 * (reason codes, a channel's settings, ...) rather than field names: their keys are not checked
 * and the walk does not enter them.
 */
export function checkJsonStyle(v: unknown, path: string, freeForm: ReadonlySet<string> = FREE_FORM): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      checkJsonStyle(x, `${path}[${i}]`, freeForm);
    });
    return;
  }
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    assert.match(k, /^[a-z][a-zA-Z0-9]*$/, `${path}.${k}: camelCase`);
    if (TIME_KEY.test(k) && x !== null) {
      assert.equal(typeof x, 'string', `${path}.${k} = ${JSON.stringify(x)}: a time is never a number`);
      if (!TIME_OF_DAY.test(String(x)))
        assert.match(String(x), ISO_MS, `${path}.${k} = ${JSON.stringify(x)}`);
    }
    if (!freeForm.has(k)) checkJsonStyle(x, `${path}.${k}`, freeForm);
  }
}
