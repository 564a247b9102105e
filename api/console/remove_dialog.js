// The "Remove Bricks" dialog: the selected bricks, "Migrate data" (checked: files move off the
// bricks first) and "Auto commit". Unchecking "Migrate data" means the files on the bricks are
// lost; the dialog says so and sends `accept_data_loss` only once the volume's name is typed.

import { post } from './api.js';
import { errorBox, h, replace, announce } from './dom.js';
import { actionButton, disable, enable, modal } from './dialogs.js';
import { openStatus } from './status_dialog.js';
import * as live from './live.js';

/** Whether `bricks` (selected, of volume `v`) are whole replica or disperse sets; when not,
 * the words explaining gluster's rule. */
export function selectionRule(v, bricks) {
  const width = v.replica_count > 1 ? v.replica_count : v.disperse_count > 1 ? v.disperse_count : 1;
  if (width <= 1 || bricks.length === 0) return null;
  const sets = new Map();
  for (const b of v.bricks) {
    const set = Math.floor(b.position / width);
    if (!sets.has(set)) sets.set(set, { all: 0, picked: 0 });
    sets.get(set).all += 1;
  }
  for (const b of bricks) sets.get(Math.floor(b.position / width)).picked += 1;
  const partial = [...sets.values()].some((s) => s.picked > 0 && s.picked < s.all);
  if (!partial) return null;
  const what = v.replica_count > 1 ? 'replica' : 'disperse';
  return `Gluster removes whole ${what} sets: on this ${v.distribute_count} × ${width} volume, select all ${width} bricks of a set `
    + `(bricks ${width} in a row, in volume order), so that the files of that set can move to the others. `
    + (what === 'replica' ? 'Taking fewer bricks from every set lowers the replica count instead, which this dialog does not do.' : '');
}

/** Opens the dialog for removing `bricks` from volume `v`; `done()` runs after a removal. */
export function openRemove(v, bricks, done = () => {}) {
  const migrate = h('input', { type: 'checkbox', id: 'rm-migrate', checked: true });
  const auto = h('input', { type: 'checkbox', id: 'rm-auto' });
  const typed = h('input', { type: 'text', id: 'rm-confirm', autocomplete: 'off', spellcheck: 'false' });
  const warning = h('div', { class: 'danger-zone', hidden: true },
    h('p', { role: 'alert' }, h('strong', {}, 'Data loss: '),
      `without migration gluster removes the bricks at once (remove-brick … force). Every file stored on ${bricks.map((b) => b.name).join(', ')} is lost to the volume.`),
    h('label', { for: 'rm-confirm' }, `Type the volume name (${v.name}) to confirm`), typed);
  const problem = h('div', {});
  const rule = selectionRule(v, bricks);
  const submit = actionButton('Remove', send, { class: 'primary' });
  const cancel = h('button', { type: 'button', onclick: () => d.close() }, 'Cancel');

  const update = () => {
    const forced = !migrate.checked;
    warning.hidden = !forced;
    auto.disabled = forced;
    if (forced) auto.checked = false;
    submit.textContent = forced ? 'Remove without migration' : 'Remove';
    submit.className = forced ? 'danger' : 'primary';
    if (forced && typed.value !== v.name) disable(submit, `Type the volume name (${v.name}) to confirm that its files on these bricks may be lost.`);
    else enable(submit);
  };
  migrate.addEventListener('change', update);
  typed.addEventListener('input', update);

  async function send() {
    replace(problem);
    const body = { bricks: bricks.map((b) => b.name), migrate_data: migrate.checked };
    if (migrate.checked) body.auto_commit = auto.checked;
    else body.accept_data_loss = true;
    try {
      const j = await post(`/volumes/${v.id}/bricks/remove`, body);
      live.remember(j);
      d.close();
      done();
      if (migrate.checked) {
        announce(`Removal started on ${v.name}`);
        openStatus('remove', v);
      } else {
        announce(`${bricks.length} brick(s) removed from ${v.name} without migration`);
      }
    } catch (err) {
      replace(problem, errorBox(err));
    }
  }

  const d = modal({
    title: `Remove Bricks: ${v.name}`,
    body: [
      h('p', {}, 'Bricks to remove:'),
      h('ul', {}, bricks.map((b) => h('li', {}, b.name))),
      rule ? h('p', { class: 'notice', role: 'note' }, rule) : null,
      h('div', { class: 'check' }, migrate, h('label', { for: 'rm-migrate' }, 'Migrate data')),
      h('p', { class: 'hint' }, 'Files move off the bricks to the rest of the volume first; you commit once migration is complete.'),
      h('div', { class: 'check' }, auto, h('label', { for: 'rm-auto' }, 'Auto commit')),
      h('p', { class: 'hint' }, 'Commit by itself once migration completed on every node with no failures.'),
      warning, problem,
    ],
    actions: [submit, cancel],
  });
  update();
  cancel.focus();
}
