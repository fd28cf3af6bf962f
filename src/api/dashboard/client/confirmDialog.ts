import { replace, restoreFocus } from './dom.ts';

export interface ConfirmDialog {
  /** Resolves true only for the confirming button; Cancel, Escape or closing it are a no. */
  ask(opts: { title: string; text: string; confirm: string }, opener: HTMLElement): Promise<boolean>;
}

/**
 * A yes/no question before something that cannot be undone. Cancel has focus first, so an Enter
 * pressed out of habit does nothing harmful.
 */
export function createConfirmDialog(dialog: HTMLDialogElement): ConfirmDialog {
  const title = dialog.querySelector<HTMLElement>('#confirm-title')!;
  const text = dialog.querySelector<HTMLElement>('#confirm-text')!;
  const yes = dialog.querySelector<HTMLButtonElement>('#confirm-yes')!;
  const no = dialog.querySelector<HTMLButtonElement>('#confirm-no')!;
  let returnTo: HTMLElement | null = null;
  yes.addEventListener('click', () => dialog.close('yes'));
  no.addEventListener('click', () => dialog.close('no'));
  return {
    ask(opts, opener) {
      returnTo = opener;
      replace(title, opts.title);
      replace(text, opts.text);
      replace(yes, opts.confirm);
      dialog.returnValue = '';
      dialog.showModal();
      no.focus();
      return new Promise((resolve) => {
        dialog.addEventListener(
          'close',
          () => {
            resolve(dialog.returnValue === 'yes');
            restoreFocus(returnTo);
          },
          { once: true },
        );
      });
    },
  };
}
