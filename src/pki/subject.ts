import type { JsonName } from '@peculiar/x509';

/** Organisation carried in every Vigil subject name. */
export const ORGANISATION = 'Vigil';

/**
 * Subject DN `O=Vigil, OU=<unit>, CN=<cn>` as JSON (no string parsing, so a CN with a comma
 * cannot inject an attribute). The OU tells device, service and server identities apart even
 * where a device id and a service name look alike.
 */
export function subjectName(cn: string, unit?: string): JsonName {
  const name: JsonName = [{ O: [ORGANISATION] }];
  if (unit) name.push({ OU: [unit] });
  name.push({ CN: [cn] });
  return name;
}
