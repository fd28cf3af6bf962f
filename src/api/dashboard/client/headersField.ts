import { h, replace } from './dom.ts';

export interface HeadersField {
  set(headers: Record<string, string>): void;
  /** Name to value; rows with no name are left out, a name given twice is an error. */
  value(): Record<string, string>;
}

/**
 * Extra request headers as name/value rows. A sensitive value comes back from the API as its hint
 * (••••1234) and is sent back as such, which keeps it: the real value never reaches the page.
 */
export function createHeadersField(list: HTMLElement, add: HTMLButtonElement): HeadersField {
  let next = 0;
  const row = (name = '', value = '') => {
    const n = next++;
    const nameInput = h('input', { id: `ep-h-name-${n}`, class: 'h-name', value: name, autocomplete: 'off', spellcheck: 'false' });
    const valueInput = h('input', { id: `ep-h-value-${n}`, class: 'h-value', value, autocomplete: 'off', spellcheck: 'false' });
    const remove = h('button', { type: 'button', 'aria-label': `Remove header ${name || n + 1}` }, 'Remove');
    const li = h(
      'li',
      { class: 'header-row' },
      h('label', { for: nameInput.id }, 'Name'),
      nameInput,
      h('label', { for: valueInput.id }, 'Value'),
      valueInput,
      remove,
    );
    remove.addEventListener('click', () => {
      // Focus goes to a neighbour, not to the top of the page.
      const after = (li.nextElementSibling ?? li.previousElementSibling)?.querySelector('input') ?? add;
      li.remove();
      after.focus();
    });
    return li;
  };
  add.addEventListener('click', () => {
    const li = row();
    list.append(li);
    li.querySelector('input')?.focus();
  });
  return {
    set(headers) {
      next = 0;
      replace(list, ...Object.entries(headers).map(([k, v]) => row(k, String(v))));
    },
    value() {
      const out: Record<string, string> = {};
      for (const li of list.querySelectorAll('li')) {
        const name = li.querySelector<HTMLInputElement>('.h-name')!.value.trim();
        if (!name) continue;
        if (Object.keys(out).some((k) => k.toLowerCase() === name.toLowerCase())) throw new Error(`Header ${name} is given twice`);
        out[name] = li.querySelector<HTMLInputElement>('.h-value')!.value;
      }
      return out;
    },
  };
}
