// Who is signed in, and what that lets them do.

/** The caller as `GET /whoami` answered: `{ name, role }`, or null when signed out. */
export const session = { caller: null };

/** Whether the signed-in token may change things. */
export const canOperate = () => session.caller !== null && session.caller.role === 'operator';

/** Why a control is disabled for a viewer. */
export const VIEWER_WHY = 'Read-only: you are signed in with a viewer token, which may not start, stop or commit tasks.';
