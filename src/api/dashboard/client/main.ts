// The dashboard page: a project key in, then the project's webhooks with their stats, a live feed
// of attempts, and the dead letters, all through the GraphQL API that served the page.
import { type Api, ApiError, createApi } from './api.ts';
import { createAttemptDialog } from './attemptDialog.ts';
import { createDeadLetters } from './deadLetters.ts';
import { type StatsWindow, VIEWER, WEBHOOK_STATUS } from './documents.ts';
import { byId, replace } from './dom.ts';
import { startFeed } from './feed.ts';
import { createOverview } from './overview.ts';

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

/** Runs `fn` at most once per `ms`, the last call winning: a burst of attempts is one refresh. */
function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    clearTimeout(timer);
    timer = window.setTimeout(fn, ms);
  };
}

async function open(key: string): Promise<void> {
  const api: Api = createApi(key);
  let viewer: { scope: string; project: { id: string; name: string } | null };
  try {
    ({ viewer } = await api.query<{ viewer: typeof viewer }>(VIEWER));
  } catch (err) {
    api.close();
    sessionStorage.removeItem(KEY);
    const why = err instanceof ApiError && err.code === 'UNAUTHENTICATED' ? 'That key is not valid (or was revoked).' : (err as Error).message;
    return showKeyScreen(why);
  }
  if (viewer.scope !== 'PROJECT' || !viewer.project) {
    api.close();
    sessionStorage.removeItem(KEY);
    return showKeyScreen('This is an admin key: the dashboard shows one project, so use a project key.');
  }
  byId('key-screen').hidden = true;
  byId('dashboard').hidden = false;
  byId('controls').hidden = false;
  replace(byId('project-name'), `· ${viewer.project.name}`);
  notify('');

  const windowSelect = byId<HTMLSelectElement>('window');
  const live = byId('live');
  api.onSocket((state, code) => {
    live.dataset.state = state;
    const label = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…', closed: 'disconnected' };
    replace(live, label[state]);
    if (state === 'closed' && code === 4401) notify('This key was revoked: live updates stopped.');
  });

  const overview = createOverview(api, { stats: byId('overview'), hooks: byId('webhooks'), window: () => windowSelect.value as StatsWindow }, notify);
  const refreshAll = async () => {
    try {
      const hooks = await overview.refresh();
      dead.setWebhooks(hooks);
      await dead.refresh();
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
  windowSelect.addEventListener('change', () => void refreshAll());
  byId('forget').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    location.reload();
  });
  const onError = (err: unknown) => notify(`Live updates: ${err instanceof Error ? err.message : 'connection lost'}`);
  api.subscribe(WEBHOOK_STATUS, soon, onError);
  await Promise.all([refreshAll(), startFeed(api, byId('feed'), dialog, soon, onError)]);
  document.body.dataset.ready = 'true';
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = byId<HTMLInputElement>('key');
  const key = input.value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY, key);
  input.value = '';
  void open(key);
});

const stored = sessionStorage.getItem(KEY);
if (stored) void open(stored);
else showKeyScreen();
