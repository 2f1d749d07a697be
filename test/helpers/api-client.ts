/** The tests' HTTPS API client is the one seclab attacks with (one request, one connection). */
export { type ApiResponse, apiRequest } from '../../src/seclab/https-client.ts';
