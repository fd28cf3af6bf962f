import type { Api } from './api.ts';
import { createConfirmDialog } from './confirmDialog.ts';
import type { Webhook } from './documents.ts';
import { byId, h, replace } from './dom.ts';
import { type EndpointAction, endpointCard } from './endpointCard.ts';
import { DELETE_WEBHOOK, FINISH_ROTATION, UPDATE_WEBHOOK } from './endpointDocuments.ts';
import { createEndpointForm } from './endpointForm.ts';
import type { SecretDialog } from './secretDialog.ts';
import { createTestEventDialog } from './testEventDialog.ts';

export interface EndpointList {
  render(hooks: Webhook[]): void;
}

/**
 * The endpoints and everything done to them: add and edit (one form), delete (after a confirmation),
 * disable and enable, rotate the secret and finish the rotation, send a test event. `changed` asks the
 * page to refresh.
 */
export function createEndpointList(
  api: Api,
  els: { list: HTMLElement; add: HTMLButtonElement },
  secrets: SecretDialog,
  changed: () => void,
  notify: (msg: string) => void,
): EndpointList {
  const form = createEndpointForm(api, byId<HTMLDialogElement>('endpoint-dialog'), secrets, changed, notify);
  const confirm = createConfirmDialog(byId<HTMLDialogElement>('confirm-dialog'));
  const tests = createTestEventDialog(api, byId<HTMLDialogElement>('test-dialog'), changed, notify);
  const label = (w: Webhook) => w.name ?? w.url;
  els.add.addEventListener('click', () => void form.create(els.add));

  const toggle = async (w: Webhook, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      await api.query(UPDATE_WEBHOOK, { input: { id: w.id, active: !w.active } });
      notify(w.active ? `${label(w)} disabled: its deliveries wait until it is enabled again` : `${label(w)} enabled`);
      changed();
    } catch (err) {
      notify(`Could not ${w.active ? 'disable' : 'enable'} ${label(w)}: ${(err as Error).message}`);
      button.disabled = false;
    }
  };

  const remove = async (w: Webhook, button: HTMLButtonElement) => {
    const sure = await confirm.ask(
      {
        title: `Delete ${label(w)}?`,
        text: `Nothing more is delivered to ${w.url}, and its deliveries and attempt log are deleted with it. This cannot be undone.`,
        confirm: 'Delete endpoint',
      },
      button,
    );
    if (!sure) return;
    try {
      await api.query(DELETE_WEBHOOK, { id: w.id });
      notify(`${label(w)} deleted`);
      // Its card is going: focus goes to a control that stays.
      els.add.focus();
      changed();
    } catch (err) {
      notify(`Could not delete ${label(w)}: ${(err as Error).message}`);
    }
  };

  // Asked first: a receiver still checking the old secret rejects every delivery from then on.
  const finish = async (w: Webhook, button: HTMLButtonElement) => {
    const sure = await confirm.ask(
      {
        title: `Finish the secret rotation of ${label(w)}?`,
        text: `From the next delivery on only the new secret (••••${w.secretHint}) signs, the branded signature header included. Finish once your receiver checks the new secret.`,
        confirm: 'Finish now',
      },
      button,
    );
    if (!sure) return;
    button.disabled = true;
    try {
      await api.query(FINISH_ROTATION, { id: w.id });
      notify(`Secret rotation of ${label(w)} finished: only the new secret signs`);
      // The button goes with the rotation: keep the keyboard on the card.
      els.list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(`${w.id}:rotate`)}"]`)?.focus();
      changed();
    } catch (err) {
      notify(`Could not finish the rotation of ${label(w)}: ${(err as Error).message}`);
      button.disabled = false;
    }
  };

  const act = (action: EndpointAction, w: Webhook, button: HTMLButtonElement) => {
    if (action === 'edit') void form.edit(w.id, button);
    else if (action === 'test') void tests.open(w, button);
    else if (action === 'toggle') void toggle(w, button);
    else if (action === 'rotate') secrets.open(w, button);
    else if (action === 'finish') void finish(w, button);
    else void remove(w, button);
  };

  return {
    render(hooks) {
      // Redrawn on every attempt: keep the keyboard where it was.
      const focused = (document.activeElement as HTMLElement | null)?.dataset.focus;
      replace(
        els.list,
        ...(hooks.length ? hooks.map((w) => endpointCard(w, act)) : [h('li', { class: 'muted' }, 'No endpoints yet: add one to start receiving events.')]),
      );
      if (focused) els.list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
    },
  };
}
