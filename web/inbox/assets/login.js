// Sign-in page: posts JSON, then goes where the visitor was heading (same-origin paths only).
const form = document.getElementById('login-form');
const error = document.getElementById('login-error');
const submit = document.getElementById('login-submit');

// The staff pages a sign-in may return to; anything else goes to the inbox.
const STAFF_PAGES = ['/inbox', '/campaigns'];

const nextPath = () => {
  const next = new URLSearchParams(location.search).get('next') ?? '';
  const ours = STAFF_PAGES.some((page) => next.startsWith(page) && /^([/?]|$)/.test(next.slice(page.length)));
  return ours ? next : '/inbox/';
};

const show = (message) => {
  error.textContent = message;
  error.hidden = !message;
};

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show('');
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) return show('Enter your email and password.');
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  try {
    const response = await fetch('/inbox/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (response.ok) return void location.assign(nextPath());
    const body = await response.json().catch(() => ({}));
    show(body?.error?.message ?? `Sign-in failed (${response.status}).`);
  } catch {
    show('The server cannot be reached. Check your connection and try again.');
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
});
