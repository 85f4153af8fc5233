// Invitation page: the one-time token is in the URL fragment, so it never reaches server logs.
const form = document.getElementById('invite-form');
const error = document.getElementById('invite-error');
const token = location.hash.slice(1);

const show = (message) => {
  error.textContent = message;
  error.hidden = !message;
};

if (!token) show('This page needs the full invitation link. Ask an admin to send it again.');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show('');
  const password = form.password.value;
  if (password.length < 10) return show('Use at least 10 characters.');
  if (password !== form.confirm.value) return show('The two passwords are different.');
  const response = await fetch('/inbox/invite', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token, password }),
  }).catch(() => null);
  if (!response) return show('The server cannot be reached. Try again.');
  if (response.ok) {
    history.replaceState(null, '', '/inbox/invite');
    return void location.assign('/inbox/');
  }
  const body = await response.json().catch(() => ({}));
  show(body?.error?.message ?? `Could not set the password (${response.status}).`);
});
