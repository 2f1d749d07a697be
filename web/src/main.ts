/**
 * Entry point: asks `/auth/me` who we are. Not signed in (or half-way) → the sign-in flow;
 * signed in → the app shell (header, navigation, pages) with the live feed.
 */
// Styles in cascade order: later files override earlier ones (responsive last but the features).
import './styles/base.css';
import './styles/components.css';
import './styles/tables-device.css';
import './styles/map.css';
import './styles/pages.css';
import './styles/responsive.css';
import './styles/features.css';
import { startAlarmCue } from './alarm-cue.ts';
import { ApiError, api, setUnauthorizedHandler } from './api.ts';
import type { AppContext } from './context.ts';
import { cx, h, replace } from './dom.ts';
import { LiveFeed, type LiveStatus } from './live.ts';
import { renderSignIn } from './pages/sign-in.ts';
import { parseHash, ROUTES, type RouteDef } from './routes.ts';
import { FleetStore } from './store.ts';
import { loadZone } from './timezone.ts';
import type { Me } from './types.ts';
import { refreshAlarmMessages } from './ui/alarm-message.ts';
import { emptyState, errorBox, loading, refreshTimes, toast } from './ui/components.ts';
import { icon, logo } from './ui/icons.ts';

const root = document.getElementById('app') as HTMLElement;
const POLL_LIVE_MS = 60_000;
const POLL_NO_LIVE_MS = 15_000;

let teardownApp: (() => void) | null = null;

async function boot(notice: string | null = null): Promise<void> {
  root.className = '';
  teardownApp?.();
  teardownApp = null;
  let me: Me | null = null;
  try {
    me = await api<Me>('/auth/me', { quiet401: true });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) {
      replace(
        root,
        h(
          'div',
          { class: 'signin' },
          h(
            'div',
            { class: 'signin-card' },
            errorBox('The Vigil server cannot be reached. Reload the page to try again.'),
          ),
        ),
      );
      return;
    }
  }
  if (me?.state !== 'ok') {
    const stop = renderSignIn(root, {
      state: me?.state,
      user: me ? { name: me.name, role: me.role } : null,
      notice,
      onSignedIn: () => {
        stop();
        void boot();
      },
    });
    return;
  }
  teardownApp = startApp(me);
}

function startApp(me: Me): () => void {
  loadZone(me.name);
  const perms = new Set(me.permissions);
  const can = (p: string) => perms.has(p);
  const store = new FleetStore({ canReadAlarms: can('alarms.read') });
  const live = new LiveFeed();
  const routes = ROUTES.filter((r) => r.anyOf.some(can));

  const ctx: AppContext = {
    me,
    can,
    store,
    live,
    navigate: (hash) => {
      location.hash = hash;
    },
  };

  // ---- header
  const navLinks = new Map<string, HTMLAnchorElement>();
  const alarmCount = h('span', { class: 'nav-count hidden', 'aria-label': 'alarms not acknowledged' });
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Main' },
    routes
      .filter((r) => r.nav)
      .map((r) => {
        const a = h(
          'a',
          { href: `#/${r.name}`, class: 'nav-link', testid: `nav-${r.name}` },
          r.title,
          r.name === 'alarms' ? alarmCount : null,
        );
        navLinks.set(r.name, a);
        return a;
      }),
  );
  const liveText = h('span', null, 'Connecting');
  const livePill = h(
    'span',
    { class: 'live-pill connecting', testid: 'live-status', title: 'Live feed' },
    h('span', { class: 'dot' }),
    liveText,
  );
  const signOut = h('button', { type: 'button', class: 'btn btn-header', testid: 'sign-out' }, 'Sign out');
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/overview' }, logo(), h('span', null, 'Vigil')),
    nav,
    h(
      'div',
      { class: 'topbar-right' },
      livePill,
      h(
        'div',
        { class: 'user', testid: 'current-user' },
        icon('shield', 'icon user-icon'),
        h('span', { class: 'user-name' }, me.name),
        h('span', { class: 'role-chip', testid: 'current-role' }, me.role),
      ),
      signOut,
    ),
  );
  const main = h('main', { class: 'page', id: 'page', tabindex: '-1' });
  replace(root, header, main);

  const setLive = (s: LiveStatus) => {
    livePill.className = cx('live-pill', s);
    liveText.textContent = s === 'live' ? 'Live' : s === 'connecting' ? 'Connecting' : 'Offline';
    livePill.title =
      s === 'live'
        ? 'Live feed connected'
        : s === 'connecting'
          ? 'Connecting to the live feed'
          : 'Live feed disconnected: updating every 15 s';
  };

  const updateAlarmCount = () => {
    // What still needs someone: active alarms nobody has acknowledged yet.
    const n = store.openAlarms().filter((a) => !a.ack).length;
    alarmCount.textContent = String(n);
    alarmCount.classList.toggle('hidden', n === 0);
  };

  // ---- router
  let teardownPage: (() => void) | undefined;
  let seq = 0;
  const route = async () => {
    const { name, rest, query } = parseHash(location.hash);
    const def: RouteDef | undefined =
      routes.find((r) => r.name === name) ?? (name === '' ? routes[0] : undefined);
    const mine = ++seq;
    teardownPage?.();
    teardownPage = undefined;
    for (const [n, a] of navLinks) {
      const on = def?.name === n || (def?.name === 'device' && n === 'overview') || def?.parent === n;
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (!def) {
      const known = ROUTES.some((r) => r.name === name);
      document.title = 'Vigil';
      replace(
        main,
        emptyState(
          known ? 'Your role cannot open this page.' : 'This page does not exist.',
          'Use the navigation above.',
        ),
      );
      return;
    }
    replace(main, loading());
    let page: Awaited<ReturnType<RouteDef['load']>>;
    try {
      page = await def.load();
    } catch {
      if (mine === seq) replace(main, errorBox('This page could not be loaded. Reload to try again.'));
      return;
    }
    if (mine !== seq) return;
    document.title = `${(def.name === 'device' || def.name === 'shipment') && rest[0] ? rest[0] : def.title} · Vigil`;
    replace(main);
    const params: Record<string, string> = { ...query };
    if (rest[0]) params.id = rest[0];
    if (rest[1]) params.sub = rest[1];
    teardownPage = page(main, ctx, params) ?? undefined;
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  };

  // ---- data flow
  const unsubs: (() => void)[] = [];
  unsubs.push(live.onStatus(setLive));
  unsubs.push(store.attach(live));
  unsubs.push(store.on('alarms', updateAlarmCount));
  unsubs.push(startAlarmCue(store));
  let pollTimer: ReturnType<typeof setTimeout> | null = null;
  const poll = async () => {
    await store.refresh();
    pollTimer = setTimeout(poll, live.status === 'live' ? POLL_LIVE_MS : POLL_NO_LIVE_MS);
  };
  void poll();
  live.start();
  const clock = setInterval(() => {
    store.tick();
    refreshTimes(document);
    refreshAlarmMessages(document);
  }, 5_000);

  let stopped = false;
  const teardown = () => {
    if (stopped) return;
    stopped = true;
    teardownPage?.();
    window.removeEventListener('hashchange', onHash);
    for (const u of unsubs) u();
    live.stop();
    clearInterval(clock);
    if (pollTimer) clearTimeout(pollTimer);
    setUnauthorizedHandler(null);
  };
  const onHash = () => void route();
  window.addEventListener('hashchange', onHash);

  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    await api('/auth/logout', { method: 'POST', quiet401: true }).catch(() => {});
    teardown();
    history.replaceState(null, '', location.pathname);
    void boot('You are signed out.');
  });
  setUnauthorizedHandler(() => {
    teardown();
    toast('Your session has ended.', 'info');
    void boot('Your session has ended. Sign in again.');
  });

  void route();
  return teardown;
}

void boot();
