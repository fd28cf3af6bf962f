// The dashboard page: a project key in, then the project's endpoints to add, edit, test and remove,
// with their stats, a live feed of attempts, the dead letters and the searchable delivery log, all
// through the GraphQL API that served the page. Opened with a tenant token in its fragment
// (`/portal#token=…`), the same page is that tenant's portal, where the tenant manages its own endpoints.
import { type Api, ApiError, createApi } from './api.ts';
import { createAttemptDialog } from './attemptDialog.ts';
import { createDeadLetters } from './deadLetters.ts';
import { createDeliveryLog } from './deliveryLog.ts';
import { PORTAL_VIEWER, type StatsWindow, VIEWER, WEBHOOK_STATUS } from './documents.ts';
import { byId, replace } from './dom.ts';
import { createEndpointList } from './endpointList.ts';
import { startFeed } from './feed.ts';
import { createOverview } from './overview.ts';
import { takeTokenFromFragment } from './portal.ts';
import { createSecretDialog } from './secretDialog.ts';
import { applyTheme, readTheme } from './theme.ts';

const KEY = 'hookpost.key';
const notice = byId('notice');
const notify = (msg: string) => replace(notice, msg);

function showKeyScreen(message = '') {
  byId('dashboard').hidden = true;
  byId('controls').hidden = true;
  byId('key-screen').hidden = false;
  replace(byId('project-name'));
  notify(message);
  byId<HTMLInputElement>('key').focus();
}

/** A portal whose token ran out (or never worked): a clear page, never a half-broken one. */
function showExpired(reason: 'expired' | 'invalid', api?: Api) {
  api?.close();
  byId('dashboard').hidden = true;
  byId('controls').hidden = true;
  byId('key-screen').hidden = true;
  byId('expired-screen').hidden = false;
  if (reason === 'invalid') {
    replace(byId('expired-title'), 'This link does not open anything');
    replace(byId('expired-text'), 'It is incomplete or was not made for this page. Reload the page you came from to get a new one.');
  }
  notify('');
  document.body.dataset.ready = 'expired';
}

/** Runs `fn` at most once per `ms`, the last call winning: a burst of attempts is one refresh. */
function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}

interface ViewerData {
  scope: string;
  project: { id: string; name: string } | null;
  tenantId?: string | null;
  expiresAt?: string | null;
}

/** Longest wait setTimeout can take; a later expiry is left to the API's UNAUTHENTICATED. */
const MAX_TIMER_MS = 2 ** 31 - 1;

async function open(key: string, portal: boolean): Promise<void> {
  // A tenant token that expires (or whose minting key is revoked) mid-session ends the portal cleanly.
  const api: Api = createApi(key, location.origin, portal ? () => showExpired('expired', api) : undefined);
  let viewer: ViewerData;
  try {
    ({ viewer } = await api.query<{ viewer: ViewerData }>(portal ? PORTAL_VIEWER : VIEWER));
  } catch (err) {
    if (portal) return showExpired(err instanceof ApiError && err.code === 'UNAUTHENTICATED' ? 'expired' : 'invalid', api);
    api.close();
    sessionStorage.removeItem(KEY);
    const why = err instanceof ApiError && err.code === 'UNAUTHENTICATED' ? 'That key is not valid (or was revoked).' : (err as Error).message;
    return showKeyScreen(why);
  }
  if (portal ? viewer.scope !== 'TENANT' : viewer.scope !== 'PROJECT' || !viewer.project) {
    if (portal) return showExpired('invalid', api);
    api.close();
    sessionStorage.removeItem(KEY);
    return showKeyScreen('This is an admin key: the dashboard shows one project, so use a project key.');
  }
  byId('key-screen').hidden = true;
  byId('dashboard').hidden = false;
  byId('controls').hidden = false;
  // The portal is the SaaS's page for one of its customers: no project name, no key to forget.
  byId('forget').hidden = portal;
  // When the token runs out the portal says so at once, rather than when the next action fails.
  const left = viewer.expiresAt ? Date.parse(viewer.expiresAt) - Date.now() : NaN;
  if (portal && left < MAX_TIMER_MS) window.setTimeout(() => showExpired('expired', api), Math.max(0, left));
  if (!portal && viewer.project) replace(byId('project-name'), `· ${viewer.project.name}`);
  notify('');

  const windowSelect = byId<HTMLSelectElement>('window');
  const live = byId('live');
  api.onSocket((state, code) => {
    live.dataset.state = state;
    const label = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…', closed: 'disconnected' };
    replace(live, label[state]);
    if (state === 'closed' && code === 4401 && !portal) notify('This key was revoked: live updates stopped.');
  });

  const secrets = createSecretDialog(api, byId<HTMLDialogElement>('secret-dialog'), () => soon(), notify);
  const endpoints = createEndpointList(api, { list: byId('webhooks'), add: byId<HTMLButtonElement>('add-endpoint') }, secrets, () => soon(), notify);
  const overview = createOverview(api, { stats: byId('overview'), endpoints, window: () => windowSelect.value as StatsWindow });
  const refreshAll = async () => {
    try {
      const hooks = await overview.refresh();
      dead.setWebhooks(hooks);
      log.setWebhooks(hooks);
      // The log says itself why it could not load; it never fails the refresh.
      await Promise.all([dead.refresh(), log.refresh()]);
    } catch (err) {
      notify(`Could not refresh: ${(err as Error).message}`);
    }
  };
  const soon = debounce(() => void refreshAll(), 400);
  const dead = createDeadLetters(
    api,
    {
      list: byId('dead'),
      count: byId('dead-count'),
      form: byId<HTMLFormElement>('recover'),
      webhook: byId<HTMLSelectElement>('recover-webhook'),
      since: byId<HTMLInputElement>('recover-since'),
      until: byId<HTMLInputElement>('recover-until'),
    },
    soon,
    notify,
  );
  const dialog = createAttemptDialog(api, byId<HTMLDialogElement>('attempt-dialog'), soon, notify);
  const log = createDeliveryLog(api, dialog);
  windowSelect.addEventListener('change', () => void refreshAll());
  byId('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  });
  const onError = (err: unknown) => {
    if (document.body.dataset.ready !== 'expired') notify(`Live updates: ${err instanceof Error ? err.message : 'connection lost'}`);
  };
  api.subscribe(WEBHOOK_STATUS, soon, onError);
  await Promise.all([refreshAll(), startFeed(api, byId('feed'), dialog, soon, onError)]);
  if (document.body.dataset.ready !== 'expired') document.body.dataset.ready = 'true';
}

const theme = readTheme(new URLSearchParams(location.search));
applyTheme(theme);
if (theme.brand) {
  replace(byId('brand'), theme.brand);
  document.title = `${theme.brand} webhooks`;
}

// The token is read (and wiped from the address bar) before anything else runs; it lives in `open`'s
// closure only. A portal never falls back to the key form, nor touches sessionStorage.
const portalToken = takeTokenFromFragment();
if (portalToken) {
  void open(portalToken, true);
} else if (location.pathname.startsWith('/portal')) {
  showExpired('invalid');
} else {
  byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('key');
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY, key);
    input.value = '';
    void open(key, false);
  });
  const stored = sessionStorage.getItem(KEY);
  if (stored) void open(stored, false);
  else showKeyScreen();
}
