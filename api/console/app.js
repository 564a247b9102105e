// The console's entry point: the session (who is signed in, with what role) and the router
// (`#/volumes`, `#/volumes/<id>`, `#/tasks`). The hash holds only where you are, never the token.

import { forgetToken, get, token } from './api.js';
import { closeAll } from './dialogs.js';
import { h, replace } from './dom.js';
import * as live from './live.js';
import { session } from './session.js';
import { renderSignIn } from './signin.js';
import { renderTasks } from './tasks.js';
import { renderVolume } from './volume.js';
import { renderVolumes } from './volumes.js';

let cleanup = () => {};

function header() {
  const who = document.getElementById('who');
  const nav = document.getElementById('nav');
  if (!session.caller) {
    nav.hidden = true;
    replace(who);
    return;
  }
  nav.hidden = false;
  const { name, role } = session.caller;
  replace(who,
    h('span', { id: 'feed-state', class: 'feed', 'aria-label': 'Live updates' }, 'connecting…'), ' ',
    h('span', {}, name ? `${name} (${role})` : role), ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

function route() {
  closeAll();
  cleanup();
  cleanup = () => {};
  const main = document.getElementById('main');
  if (!session.caller) {
    renderSignIn(main, signedIn);
    return;
  }
  const hash = location.hash || '#/volumes';
  const m = hash.match(/^#\/volumes\/([0-9a-f-]{36})$/);
  for (const a of document.querySelectorAll('#nav a')) a.removeAttribute('aria-current');
  if (m) {
    document.getElementById('nav-volumes').setAttribute('aria-current', 'page');
    cleanup = renderVolume(main, m[1]);
  } else if (hash === '#/tasks' || hash.startsWith('#/tasks?')) {
    document.getElementById('nav-tasks').setAttribute('aria-current', 'page');
    cleanup = renderTasks(main);
  } else {
    document.getElementById('nav-volumes').setAttribute('aria-current', 'page');
    cleanup = renderVolumes(main);
  }
}

function signedIn(caller) {
  session.caller = caller;
  header();
  live.start();
  route();
}

function signOut(message) {
  closeAll();
  forgetToken();
  live.stop();
  session.caller = null;
  header();
  cleanup();
  cleanup = () => {};
  renderSignIn(document.getElementById('main'), signedIn, typeof message === 'string' ? message : null);
}

// A change of screen moves the focus to it, so a screen reader starts reading there.
window.addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#/')) return;
  route();
  document.getElementById('main').focus();
});
// "Skip to content" moves the focus without touching the hash (which names the screen).
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('gt:unauthorized', () => {
  if (session.caller) signOut('The service no longer accepts your token: sign in again.');
});

async function boot() {
  if (token()) {
    try {
      signedIn(await get('/whoami'));
      return;
    } catch {
      forgetToken();
    }
  }
  header();
  route();
}

boot();
