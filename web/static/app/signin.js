// Citizen sign-in: phone number and a 6-digit code sent by SMS. Signing in
// the first time registers the number. The emergency numbers stay on the
// screen: nobody should have to sign in to call the police.

import { h, field, errorText, emergencyBar } from '../shared/ui.js';
import { t, addStrings } from '../shared/i18n.js';
import { api, setToken } from '../shared/api.js';

addStrings({
  'zh-CN': {
    'signin.title': '手机号登录',
    'signin.intro': '首次登录即完成注册。',
    'signin.phone': '手机号码',
    'signin.code': '短信验证码',
    'signin.send': '获取验证码',
    'signin.resend': '重新获取（{n}秒）',
    'signin.resendNow': '重新获取验证码',
    'signin.sent': '验证码已发送至 {phone}，5分钟内有效。',
    'signin.submit': '登录',
    'signin.busy': '正在登录…',
    'signin.emergency': '紧急情况无需登录，可直接：',
  },
  en: {
    'signin.title': 'Sign in with your phone',
    'signin.intro': 'Signing in the first time registers your number.',
    'signin.phone': 'Mobile number',
    'signin.code': 'SMS code',
    'signin.send': 'Get code',
    'signin.resend': 'Resend ({n}s)',
    'signin.resendNow': 'Send a new code',
    'signin.sent': 'Code sent to {phone}. It is valid for 5 minutes.',
    'signin.submit': 'Sign in',
    'signin.busy': 'Signing in…',
    'signin.emergency': 'In an emergency you need not sign in:',
  },
});

// The countdown survives a language switch (which re-renders the screen).
const state = { phone: '', sentTo: '', resendAt: 0 };

function mask(phone) {
  const d = phone.replace(/\D/g, '').slice(-11);
  return d.length === 11 ? d.slice(0, 3) + '****' + d.slice(7) : phone;
}

/** renderSignIn(ctx, onSignedIn(session)) → the sign-in screen. */
export function renderSignIn(ctx, onSignedIn) {
  const phone = h('input', {
    type: 'tel', name: 'phone', inputmode: 'tel', autocomplete: 'tel-national', maxlength: '16',
    placeholder: '138 0000 0000', value: state.phone, class: 'input big',
    oninput: () => { state.phone = phone.value; },
  });
  const code = h('input', {
    type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6',
    pattern: '[0-9]*', placeholder: '······', class: 'input big code',
  });
  const sendBtn = h('button', { type: 'button', class: 'btn secondary send-code', onclick: send });
  const submit = h('button', { type: 'submit', class: 'btn primary block', 'data-testid': 'signin-submit' }, t('signin.submit'));
  const msg = h('p', { class: 'form-msg', role: 'alert', 'aria-live': 'assertive' });
  const sent = h('p', { class: 'form-info', 'aria-live': 'polite' });
  let timer = null;

  function tick() {
    const left = Math.ceil((state.resendAt - Date.now()) / 1000);
    if (left > 0) {
      sendBtn.disabled = true;
      sendBtn.textContent = t('signin.resend', { n: left });
    } else {
      sendBtn.disabled = false;
      sendBtn.textContent = state.sentTo ? t('signin.resendNow') : t('signin.send');
      clearInterval(timer);
      timer = null;
    }
  }
  function startTicking() {
    tick();
    if (!timer) timer = setInterval(tick, 1000);
  }
  ctx.onLeave(() => clearInterval(timer));
  if (state.sentTo) sent.textContent = t('signin.sent', { phone: mask(state.sentTo) });
  startTicking();

  async function send() {
    msg.textContent = '';
    const p = phone.value.trim();
    if (!/^(\+?86)?[\s-]*1\d{2}[\s-]?\d{4}[\s-]?\d{4}$/.test(p)) {
      msg.textContent = t('error.invalid_phone');
      phone.focus();
      return;
    }
    sendBtn.disabled = true;
    try {
      const res = await api.post('/api/v1/auth/otp', { phone: p });
      state.sentTo = p;
      state.resendAt = Date.now() + 1000 * (res?.resend_after_s ?? 60);
      sent.textContent = t('signin.sent', { phone: mask(p) });
      code.focus();
    } catch (e) {
      msg.textContent = errorText(e);
      if (e.details?.retry_after_s) state.resendAt = Date.now() + 1000 * e.details.retry_after_s;
    }
    startTicking();
  }

  async function verify(ev) {
    ev.preventDefault();
    msg.textContent = '';
    const p = phone.value.trim();
    const c = code.value.replace(/\D/g, '');
    if (!p) {
      msg.textContent = t('error.invalid_phone');
      phone.focus();
      return;
    }
    if (c.length !== 6) {
      msg.textContent = t('error.invalid_code');
      code.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t('signin.busy');
    try {
      const res = await api.post('/api/v1/auth/otp/verify', { phone: p, code: c });
      setToken(res.token);
      state.sentTo = '';
      state.resendAt = 0;
      await onSignedIn(res);
    } catch (e) {
      msg.textContent = errorText(e);
      submit.disabled = false;
      submit.textContent = t('signin.submit');
    }
  }

  return h('section', { class: 'screen signin' },
    h('div', { class: 'screen-body' },
      h('h1', { class: 'signin-title' }, t('signin.title')),
      h('p', { class: 'muted' }, t('signin.intro')),
      h('form', { class: 'form', onsubmit: verify, noValidate: true },
        field(t('signin.phone'), phone),
        h('div', { class: 'field' },
          h('label', { for: 'code' }, t('signin.code')),
          h('div', { class: 'code-row' }, Object.assign(code, { id: 'code' }), sendBtn)),
        sent,
        msg,
        submit),
      h('div', { class: 'signin-emergency' },
        h('p', { class: 'muted' }, t('signin.emergency')),
        emergencyBar())));
}
