/**
 * Administration (admin role): users (admin-users.ts), API tokens (admin-tokens.ts), devices
 * (admin-devices.ts) and notifications (admin-notifications.ts). Every action here needs a
 * completed second factor and is audited by the server.
 */
import type { Page } from '../context.ts';
import { h, replace } from '../dom.ts';
import { pageHeader } from '../ui/components.ts';
import { devicesTab } from './admin-devices.ts';
import { notificationsTab } from './admin-notifications.ts';
import { tokensTab } from './admin-tokens.ts';
import { usersTab } from './admin-users.ts';

type Tab = 'users' | 'tokens' | 'devices' | 'notifications';
const TABS: { tab: Tab; label: string; perm: string }[] = [
  { tab: 'users', label: 'Users', perm: 'users.manage' },
  { tab: 'tokens', label: 'API tokens', perm: 'tokens.manage' },
  { tab: 'devices', label: 'Devices', perm: 'devices.manage' },
  { tab: 'notifications', label: 'Notifications', perm: 'notifications.manage' },
];

export const adminPage: Page = (root, ctx, params) => {
  const tabs = TABS.filter((t) => ctx.can(t.perm));
  const tab: Tab =
    tabs.find((t) => t.tab === params.sub || t.tab === params.id)?.tab ?? tabs[0]?.tab ?? 'users';
  const host = h('div');
  replace(
    root,
    pageHeader(
      'Admin',
      'Accounts, machine access and device provisioning. Every change is recorded in the audit log.',
    ),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Admin sections' },
      tabs.map((t) =>
        h(
          'a',
          {
            href: `#/admin/${t.tab}`,
            class: t.tab === tab ? 'tab active' : 'tab',
            'aria-current': t.tab === tab ? 'page' : undefined,
            testid: `admin-tab-${t.tab}`,
          },
          t.label,
        ),
      ),
    ),
    host,
  );
  if (tab === 'users') usersTab(host, ctx);
  else if (tab === 'tokens') tokensTab(host);
  else if (tab === 'notifications') notificationsTab(host);
  else return devicesTab(host, ctx);
  return undefined;
};
