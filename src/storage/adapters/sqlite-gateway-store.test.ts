import { runGatewayStoreContract } from '../../gateways/gateway-store-contract.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('gateways');

runGatewayStoreContract({
  name: 'SqliteGatewayStore',
  make: async () => {
    const db = fresh();
    return { gateways: db.gateways, cleanup: () => db.store.close() };
  },
});
