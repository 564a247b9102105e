// The sign-in form: a bearer token, checked against the service before it is kept.

import { ApiError, forgetToken, get, setToken } from './api.js';
import { errorBox, h, replace } from './dom.js';

/** Draws the form in `main`; calls `done(caller)` once a token is accepted. */
export function renderSignIn(main, done, message = null) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const problem = h('div', {});
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    message ? h('p', { class: 'notice', role: 'alert' }, message) : null,
    h('p', {}, 'Sign in with an API token. An operator token runs tasks; a viewer token only reads. ',
      'The token stays in this browser tab (session storage) and is sent only as a bearer header.'),
    h('label', { for: 'token' }, 'Token'), input, problem, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    replace(problem);
    setToken(input.value.trim());
    try {
      const caller = await get('/whoami');
      done(caller);
    } catch (err) {
      forgetToken();
      const shown = err instanceof ApiError && err.status === 401
        ? { title: 'Not signed in', detail: 'the service does not accept this token' } : err;
      replace(problem, errorBox(shown));
      submit.disabled = false;
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}
