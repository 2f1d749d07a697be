import { runNotificationStoreContract } from '../../notifications/notification-store-contract.ts';
import { freshSqlite } from './sqlite.fixture.ts';

const fresh = freshSqlite('notification-contract');
runNotificationStoreContract({
  name: 'SqliteNotificationStore',
  make: async () => {
    const own = fresh();
    return { notifications: own.notifications, cleanup: () => own.store.close() };
  },
});
