export { type CreateCaOptions, createCa } from './ca.ts';
export { type CertInfo, certInfo } from './cert-info.ts';
export { type CreateCrlOptions, createCrl, type RevokedEntry } from './crl.ts';
export { type IssueClientCertOptions, issueClientCert } from './issue-client.ts';
export { type IssueServerCertOptions, issueServerCert, SERVER_CN } from './issue-server.ts';
export { openCa, type SealedCa, sealCa } from './sealed-ca.ts';
export { normalizeSerial } from './serial.ts';
export type { CaMaterial, ClientKind, CreatedCa, IssuedCert } from './types.ts';
