// The Custos console's only script. It drives the JSON API with the session
// cookie (same origin, so the server's CSRF check passes) and never keeps a
// customer value longer than the 30 seconds a reveal is shown. No framework,
// no build step; served from our origin under a CSP without inline script.
"use strict";

(function () {
  const REVEAL_SHOWN_MS = 30 * 1000;

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  /** Calls the API; resolves to {ok, status, data} and never throws on HTTP errors. */
  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (_) {
      return { ok: false, status: 0, data: null };
    }
    let data = null;
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      data = await response.json().catch(() => null);
    }
    if (response.ok) idle.touch();
    if (response.status === 401 && !signingOut && !document.body.classList.contains("login")) {
      window.location.assign("/console/login");
    }
    return { ok: response.ok, status: response.status, data };
  }

  function errorCode(result) {
    return result.data && result.data.error ? result.data.error.code : "";
  }

  function errorMessage(result, fallback) {
    if (result.status === 0) return "Custos cannot be reached. Check your connection and try again.";
    if (result.data && result.data.error && result.data.error.message) return result.data.error.message;
    return fallback;
  }

  function say(element, text, isError) {
    if (!element) return;
    element.textContent = text;
    element.hidden = !text;
    element.classList.toggle("error-message", Boolean(isError));
  }

  // ---- Passkeys (WebAuthn) ----------------------------------------------------

  // The server sends WebAuthn options as JSON with binary fields in base64url and
  // takes the authenticator's answer back the same way.
  const passkeysSupported = Boolean(window.PublicKeyCredential && navigator.credentials);

  function fromBase64Url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64Url(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBinaryIds(credentials) {
    return (credentials || []).map((c) => Object.assign({}, c, { id: fromBase64Url(c.id) }));
  }

  /** Runs navigator.credentials.create for the server's options; the answer as JSON. */
  async function createPasskey(options) {
    const publicKey = Object.assign({}, options.publicKey, {
      challenge: fromBase64Url(options.publicKey.challenge),
      user: Object.assign({}, options.publicKey.user, { id: fromBase64Url(options.publicKey.user.id) }),
      excludeCredentials: withBinaryIds(options.publicKey.excludeCredentials),
    });
    const credential = await navigator.credentials.create({ publicKey });
    return {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: {
        attestationObject: toBase64Url(credential.response.attestationObject),
        clientDataJSON: toBase64Url(credential.response.clientDataJSON),
      },
    };
  }

  /** Runs navigator.credentials.get for the server's options; the answer as JSON. */
  async function getPasskey(options) {
    const publicKey = Object.assign({}, options.publicKey, {
      challenge: fromBase64Url(options.publicKey.challenge),
      allowCredentials: withBinaryIds(options.publicKey.allowCredentials),
    });
    const credential = await navigator.credentials.get({ publicKey });
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64Url(credential.rawId),
      type: credential.type,
      response: {
        authenticatorData: toBase64Url(response.authenticatorData),
        clientDataJSON: toBase64Url(response.clientDataJSON),
        signature: toBase64Url(response.signature),
        userHandle: response.userHandle ? toBase64Url(response.userHandle) : null,
      },
    };
  }

  /**
   * Proves a passkey (sign-in or step-up): asks the server for a challenge, lets the
   * browser talk to the authenticator, sends the answer. Resolves to the finishing
   * call's result, or to {ok: false, status: 0, cancelled: true} when the person cancelled.
   */
  async function provePasskey(startPath, startBody, finishPath, finishBody) {
    const started = await api("POST", startPath, startBody);
    if (!started.ok) return started;
    let credential;
    try {
      credential = await getPasskey(started.data.options);
    } catch (_) {
      return { ok: false, status: 0, data: null, cancelled: true };
    }
    return api("POST", finishPath, Object.assign({ credential }, finishBody));
  }

  function passkeyFailure(result, fallback) {
    if (result.cancelled) return "The passkey was not used. Try again, or use a code.";
    return errorMessage(result, fallback);
  }

  // ---- Step-up: a fresh second factor before a sensitive action -------------

  /** Runs `action`; if the server asks for a fresh factor, asks for a code, confirms it, and runs it again. */
  async function withStepUp(action) {
    const result = await action();
    if (result.status !== 403 || errorCode(result) !== "step_up_required") return result;
    const confirmed = await askStepUp();
    return confirmed ? action() : result;
  }

  function askStepUp() {
    const dialog = $("#step-up-dialog");
    if (!dialog) return Promise.resolve(false);
    const input = $("#step-up-code");
    const error = $("#step-up-error");
    input.value = "";
    say(error, "");
    dialog.showModal();
    input.focus();
    return new Promise((resolve) => {
      const finish = (outcome) => {
        $("#step-up-confirm").onclick = null;
        $("#step-up-cancel").onclick = null;
        $("#step-up-passkey").onclick = null;
        dialog.close();
        resolve(outcome);
      };
      $("#step-up-cancel").onclick = () => finish(false);
      const passkey = $("#step-up-passkey");
      passkey.hidden = !passkeysSupported;
      passkey.onclick = async () => {
        const result = await provePasskey("/api/v1/auth/step-up/passkey/start", undefined, "/api/v1/auth/step-up/passkey", {});
        if (result.ok) finish(true);
        else if (errorCode(result) === "no_passkey") say(error, "You have no passkey yet. Use a code from your authenticator app.", true);
        else say(error, passkeyFailure(result, "The passkey did not work."), true);
      };
      $("#step-up-confirm").onclick = async () => {
        const result = await api("POST", "/api/v1/auth/step-up/totp", { code: input.value.trim() });
        if (result.ok) finish(true);
        else say(error, errorMessage(result, "That code did not work."), true);
      };
    });
  }

  // ---- Idle sign-out ---------------------------------------------------------

  // The server ends a session after `session.idle_timeout_secs` without a request;
  // the page warns a little before and signs out at the same moment.
  const idle = {
    timeoutMs: 0,
    lastMs: Date.now(),
    touch() {
      this.lastMs = Date.now();
      const warning = $("#idle-warning");
      if (warning) warning.hidden = true;
    },
    start(seconds) {
      this.timeoutMs = seconds * 1000;
      const warnBeforeMs = Math.min(60 * 1000, this.timeoutMs / 4);
      this.touch();
      window.setInterval(() => {
        const idleMs = Date.now() - this.lastMs;
        if (idleMs >= this.timeoutMs) {
          signOut("idle");
        } else if (idleMs >= this.timeoutMs - warnBeforeMs) {
          $("#idle-warning").hidden = false;
        }
      }, 1000);
      const stay = $("#idle-stay");
      if (stay) stay.addEventListener("click", () => api("GET", "/api/v1/me"));
    },
  };

  let signingOut = false;
  async function signOut(reason) {
    if (signingOut) return;
    signingOut = true;
    hideRevealed();
    await api("POST", "/api/v1/auth/logout");
    window.location.assign("/console/login?reason=" + encodeURIComponent(reason));
  }

  // ---- Sign-in ---------------------------------------------------------------

  function setUpLogin() {
    const loginForm = $("#login-form");
    if (!loginForm) return;
    const mfaForm = $("#mfa-form");
    const error = $("#login-error");
    let mfaToken = null;
    $("#username").focus();

    loginForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(error, "");
      const result = await api("POST", "/api/v1/auth/login", {
        username: $("#username").value.trim(),
        password: $("#password").value,
      });
      $("#password").value = "";
      if (result.ok && result.data && result.data.mfa_token) {
        mfaToken = result.data.mfa_token;
        loginForm.hidden = true;
        mfaForm.hidden = false;
        $("#passkey-choice").hidden = !(passkeysSupported && result.data.methods.includes("passkey"));
        $("#recovery-choice").hidden = !result.data.methods.includes("recovery_code");
        $("#totp-code").focus();
        return;
      }
      if (result.status === 423) {
        say(error, "This account is locked after too many failed sign-ins. Try again later, or ask a security officer to unlock it.", true);
      } else if (result.status === 429) {
        say(error, "Too many sign-in attempts from here. Wait a minute and try again.", true);
      } else if (result.status === 401) {
        say(error, "The username or password is not right.", true);
      } else {
        say(error, errorMessage(result, "Signing in did not work."), true);
      }
    });

    $("#mfa-passkey").addEventListener("click", async () => {
      say(error, "");
      const result = await provePasskey("/api/v1/auth/mfa/passkey/start", { mfa_token: mfaToken }, "/api/v1/auth/mfa/passkey", { mfa_token: mfaToken });
      if (result.ok) {
        window.location.assign("/console");
      } else if (result.cancelled) {
        say(error, passkeyFailure(result), true);
      } else {
        // The sign-in step is used up by a failed answer; start again.
        restart(errorMessage(result, "The passkey did not work. Sign in again."));
      }
    });

    const recoveryForm = $("#recovery-form");
    // Back to the password step when the sign-in step expired or was used up.
    function restart(message) {
      mfaForm.hidden = true;
      recoveryForm.hidden = true;
      loginForm.hidden = false;
      $("#username").focus();
      say(error, message, true);
    }

    $("#use-recovery").addEventListener("click", () => {
      say(error, "");
      mfaForm.hidden = true;
      recoveryForm.hidden = false;
      $("#recovery-code").focus();
    });
    $("#use-authenticator").addEventListener("click", () => {
      say(error, "");
      recoveryForm.hidden = true;
      mfaForm.hidden = false;
      $("#totp-code").focus();
    });

    recoveryForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(error, "");
      const result = await api("POST", "/api/v1/auth/mfa/recovery", {
        mfa_token: mfaToken,
        code: $("#recovery-code").value.trim(),
      });
      $("#recovery-code").value = "";
      if (result.ok) {
        window.location.assign("/console/account?recovered=1");
      } else if (result.status === 401) {
        // A wrong code uses up the sign-in step, as a wrong authenticator code does.
        restart("That recovery code did not work, or the sign-in took too long. Sign in again.");
      } else {
        say(error, errorMessage(result, "That recovery code did not work."), true);
      }
    });

    mfaForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(error, "");
      const result = await api("POST", "/api/v1/auth/mfa/totp", {
        mfa_token: mfaToken,
        code: $("#totp-code").value.trim(),
      });
      $("#totp-code").value = "";
      if (result.ok) {
        window.location.assign("/console");
      } else if (result.status === 401 && errorCode(result) !== "invalid_code") {
        // The password step expired or was refused; start again.
        restart(errorMessage(result, "Sign in again."));
      } else {
        say(error, errorMessage(result, "That code did not work."), true);
      }
    });
  }

  // ---- First administrator ----------------------------------------------------

  function setUpSetup() {
    const form = $("#setup-form");
    if (!form) return;
    const error = $("#setup-error");
    // The token travels in the fragment (never sent to a server or a log);
    // take it and clear it from the address bar and history.
    const invitation = form.dataset.invitation === "true";
    const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
    window.history.replaceState(null, "", window.location.pathname);
    if (!token) {
      say(error, invitation
        ? "This page needs the invitation link you were given."
        : "This page needs the one-time link that `custos serve` printed.", true);
      form.hidden = true;
      return;
    }
    (invitation ? $("#setup-password") : $("#setup-username")).focus();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const password = $("#setup-password").value;
      if (password !== $("#setup-password-again").value) {
        say(error, "The two passwords differ.", true);
        return;
      }
      const result = invitation
        ? await api("POST", "/api/v1/invitations/redeem", { token, password })
        : await api("POST", "/api/v1/setup", { token, username: $("#setup-username").value.trim(), password });
      if (!result.ok || !result.data) {
        say(error, errorMessage(result, "Setting up did not work."), true);
        return;
      }
      say(error, "");
      form.hidden = true;
      $("#setup-password").value = "";
      $("#setup-password-again").value = "";
      const svg = result.data.totp_qr_svg;
      $("#totp-qr").src = "data:image/svg+xml;base64," + window.btoa(svg);
      const secret = new URL(result.data.totp_uri).searchParams.get("secret") || "";
      $("#totp-secret").textContent = secret;
      const list = $("#recovery-codes");
      result.data.recovery_codes.forEach((code) => {
        const item = document.createElement("li");
        item.textContent = code;
        list.append(item);
      });
      $("#setup-who").textContent = "Your username is " + result.data.username + ".";
      $("#setup-done").hidden = false;
    });
  }

  // ---- The interaction page: verification and reveal ---------------------------

  let revealTimer = null;

  function hideRevealed() {
    $$(".revealed-value").forEach((element) => {
      const cell = element.parentElement;
      element.remove();
      const masked = $(".masked-value", cell);
      if (masked) masked.hidden = false;
    });
    if (revealTimer) window.clearTimeout(revealTimer);
    revealTimer = null;
  }

  function setUpInteraction() {
    const root = $("#interaction");
    if (!root) return;
    const interactionId = root.dataset.interaction;
    const customerId = root.dataset.customer;
    const base = "/api/v1/interactions/" + encodeURIComponent(interactionId);
    const message = $("#verification-message");

    const sendCode = $("#send-code");
    if (sendCode) {
      sendCode.addEventListener("click", async () => {
        const method = $("#code-channel").value;
        const result = await api("POST", base + "/verification", { method });
        say(message, result.ok
          ? "A code was sent to the customer's " + (method === "phone" ? "phone" : "email") + ". Ask them to read it out."
          : errorMessage(result, "The code could not be sent."), !result.ok);
        if (result.ok) $("#verification-code").focus();
      });
    }
    const confirmCode = $("#confirm-code");
    if (confirmCode) {
      confirmCode.addEventListener("click", async () => {
        const code = $("#verification-code").value.trim();
        const result = await api("POST", base + "/verification/confirm", { code });
        if (result.ok) {
          window.location.reload();
        } else {
          say(message, errorMessage(result, "That code did not work."), true);
        }
      });
    }
    const answer = $("#answer-questions");
    if (answer) {
      answer.addEventListener("click", async () => {
        const answers = {};
        $$("#questions-form input").forEach((input) => { answers[input.name] = input.value; });
        const result = await api("POST", base + "/verification/questions", { answers });
        if (result.ok) window.location.reload();
        else say(message, errorMessage(result, "The answers did not match."), true);
      });
    }

    const reassign = $("#reassign-submit");
    if (reassign) {
      reassign.addEventListener("click", async () => {
        const agent = $("#reassign-agent").value;
        const result = await api("POST", base + "/assign", { agent });
        if (result.ok) window.location.reload();
        else say($("#reassign-message"), errorMessage(result, "The interaction was not reassigned."), true);
      });
    }

    const dialog = $("#reveal-dialog");
    const revealError = $("#reveal-error");
    let field = null;
    $$("button.reveal").forEach((button) => {
      button.addEventListener("click", () => {
        field = button.dataset.field;
        $("#reveal-field-label").textContent = button.dataset.label.toLowerCase();
        $("#reveal-reason-text").value = "";
        say(revealError, "");
        dialog.showModal();
        $("#reveal-reason-code").focus();
      });
    });
    $("#reveal-cancel").addEventListener("click", () => dialog.close());
    $("#reveal-confirm").addEventListener("click", async () => {
      const text = $("#reveal-reason-text").value.trim();
      if (!text) {
        say(revealError, "Say why you need to see it.", true);
        return;
      }
      const request = {
        field,
        interaction_id: interactionId,
        reason: { code: $("#reveal-reason-code").value, text },
      };
      const result = await withStepUp(() =>
        api("POST", "/api/v1/customers/" + encodeURIComponent(customerId) + "/reveal", request));
      if (!result.ok || !result.data) {
        say(revealError, errorMessage(result, "The value could not be revealed."), true);
        return;
      }
      dialog.close();
      showRevealed(result.data.field, result.data.value);
    });
    window.addEventListener("pagehide", hideRevealed);
  }

  function showRevealed(fieldName, value) {
    hideRevealed();
    const cell = $('dd[data-field="' + CSS.escape(fieldName) + '"]');
    if (!cell) return;
    const masked = $(".masked-value", cell);
    if (masked) masked.hidden = true;
    const shown = document.createElement("span");
    shown.className = "revealed-value";
    shown.textContent = value;
    cell.prepend(shown);
    revealTimer = window.setTimeout(hideRevealed, REVEAL_SHOWN_MS);
  }

  // ---- Alerts and people -------------------------------------------------------

  function setUpAlert() {
    const root = $("#alert-actions");
    if (!root) return;
    const base = "/api/v1/alerts/" + encodeURIComponent(root.dataset.alert);
    const message = $("#alert-message");
    const act = (button, path) => {
      if (!button) return;
      button.addEventListener("click", async () => {
        const note = $("#alert-note").value.trim();
        const body = path === "/notes" ? { text: note } : (note ? { note } : {});
        if (path === "/notes" && !note) {
          say(message, "Write the note first.", true);
          return;
        }
        const result = await withStepUp(() => api("POST", base + path, body));
        if (result.ok) window.location.reload();
        else say(message, errorMessage(result, "That did not work."), true);
      });
    };
    act($("#alert-acknowledge"), "/acknowledge");
    act($("#alert-resolve"), "/resolve");
    act($("#alert-add-note"), "/notes");
  }

  function setUpPeople() {
    const message = $("#people-message");
    const act = (selector, action, question) => {
      $$(selector).forEach((button) => {
        button.addEventListener("click", async () => {
          const username = button.dataset.username;
          if (question && !window.confirm(question.replace("{}", username))) return;
          const path = "/api/v1/users/" + encodeURIComponent(username) + "/" + action;
          const result = await withStepUp(() => api("POST", path));
          if (result.ok) window.location.reload();
          else say(message, errorMessage(result, "That did not work."), true);
        });
      });
    };
    act("button.unlock", "unlock", null);
    act("button.lock", "lock", "Lock {}? Their sessions end, and they cannot sign in until unlocked.");
    act("button.end-sessions", "end-sessions", "End every session of {}?");
    act("button.disable", "disable", "Disable {}? Every session and token of theirs ends at once.");

    const invite = $("#invite-submit");
    if (invite) {
      invite.addEventListener("click", async () => {
        const team = $("#invite-team").value.trim();
        const body = { username: $("#invite-username").value.trim(), role: $("#invite-role").value, team: team || null };
        const result = await withStepUp(() => api("POST", "/api/v1/users", body));
        const link = $("#invitation-link");
        if (!result.ok || !result.data) {
          link.hidden = true;
          say($("#invite-message"), errorMessage(result, "The invitation was not made."), true);
          return;
        }
        say($("#invite-message"), "");
        link.textContent = "Send this link to " + result.data.username + " over a trusted channel; it works once, until "
          + result.data.expires_at + ": " + result.data.invitation_url;
        link.hidden = false;
      });
    }

    const signOff = $("#sign-off");
    if (signOff) {
      signOff.addEventListener("click", async () => {
        const notes = $("#sign-off-notes").value.trim();
        const signOffMessage = $("#sign-off-message");
        if (!notes) {
          say(signOffMessage, "Write what you checked and decided.", true);
          return;
        }
        const body = { report_sha256: $("#sign-off-form").dataset.report, notes };
        const result = await withStepUp(() => api("POST", "/api/v1/access-review/sign-off", body));
        if (result.ok) window.location.reload();
        else say(signOffMessage, errorMessage(result, "The sign-off was not recorded."), true);
      });
    }
  }

  function setUpRole() {
    const form = $("#role-form");
    if (!form) return;
    const username = $("#role").dataset.username;
    const message = $("#role-message");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const team = $("#new-team").value.trim();
      const body = { role: $("#new-role").value, team: team || null };
      const path = "/api/v1/users/" + encodeURIComponent(username) + "/role";
      const result = await withStepUp(() => api("PUT", path, body));
      if (result.ok) {
        $("#current-role").textContent = body.role;
        $("#current-team").textContent = body.team || "none";
        say(message, "Role changed; " + result.data.ended + " session(s) ended.");
      } else {
        say(message, errorMessage(result, "The role could not be changed."), true);
      }
    });
  }

  function setUpSignInReset() {
    const button = $("#reset-sign-in");
    if (!button) return;
    const username = $("#sign-in-reset").dataset.username;
    button.addEventListener("click", async () => {
      if (!window.confirm("Reset the sign-in of " + username + "? Their authenticator, recovery codes and passkeys stop working and their sessions end now.")) return;
      const path = "/api/v1/users/" + encodeURIComponent(username) + "/credential-reset";
      const result = await withStepUp(() => api("POST", path));
      const link = $("#reset-link");
      if (!result.ok || !result.data) {
        link.hidden = true;
        say($("#reset-message"), errorMessage(result, "The sign-in was not reset."), true);
        return;
      }
      say($("#reset-message"), "");
      button.hidden = true;
      link.textContent = "Send this link to " + result.data.username + " over a trusted channel; it works once, until "
        + result.data.expires_at + ": " + result.data.reset_url;
      link.hidden = false;
    });
  }

  function setUpDevices() {
    const root = $("#devices");
    if (!root) return;
    const username = root.dataset.username;
    const message = $("#devices-message");
    const issue = $("#issue-device-code");
    if (issue) {
      issue.addEventListener("click", async () => {
        const path = "/api/v1/users/" + encodeURIComponent(username) + "/device-codes";
        const result = await withStepUp(() => api("POST", path));
        if (!result.ok || !result.data) {
          say(message, errorMessage(result, "No code was issued."), true);
          return;
        }
        const shown = $("#device-code");
        shown.textContent = "Code: " + result.data.code + " (works once, until " + result.data.expires_at + ")";
        shown.hidden = false;
      });
    }
    $$("button.revoke-device").forEach((button) => {
      button.addEventListener("click", async () => {
        if (!window.confirm("Revoke this device? Its sessions end at once.")) return;
        const path = "/api/v1/devices/" + encodeURIComponent(button.dataset.device);
        const result = await withStepUp(() => api("DELETE", path));
        if (result.ok) window.location.reload();
        else say(message, errorMessage(result, "The device was not revoked."), true);
      });
    });
  }

  function setUpEnrolDevice() {
    const form = $("#enrol-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await api("POST", "/api/v1/auth/devices/enrol", {
        username: $("#enrol-username").value.trim(),
        code: $("#enrol-code").value.trim(),
        name: $("#enrol-name").value.trim(),
      });
      $("#enrol-code").value = "";
      if (result.ok) {
        form.hidden = true;
        say($("#enrol-error"), "");
        $("#enrol-done").hidden = false;
      } else {
        say($("#enrol-error"), errorMessage(result, "The device was not enrolled."), true);
      }
    });
  }

  // ---- Your account: passkeys ---------------------------------------------------

  function setUpAccount() {
    const message = $("#passkey-message");
    const form = $("#passkey-form");
    if (form) {
      if (!passkeysSupported) {
        say(message, "This browser cannot use passkeys.", true);
        $("#passkey-add").disabled = true;
      }
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        say(message, "");
        const name = $("#passkey-name").value.trim();
        const result = await withStepUp(() => api("POST", "/api/v1/me/passkeys/register/start", { name }));
        if (!result.ok) {
          say(message, errorMessage(result, "The passkey could not be added."), true);
          return;
        }
        let credential;
        try {
          credential = await createPasskey(result.data.options);
        } catch (_) {
          say(message, "No passkey was made. Try again when your device asks.", true);
          return;
        }
        const finished = await api("POST", "/api/v1/me/passkeys/register/finish", { credential });
        if (finished.ok) window.location.reload();
        else say(message, errorMessage(finished, "The passkey could not be added."), true);
      });
    }
    $$("[data-remove-passkey]").forEach((button) => {
      button.addEventListener("click", async () => {
        const id = button.getAttribute("data-remove-passkey");
        const result = await withStepUp(() => api("DELETE", "/api/v1/me/passkeys/" + encodeURIComponent(id)));
        if (result.ok) window.location.reload();
        else say(message, errorMessage(result, "The passkey could not be removed."), true);
      });
    });
  }

  function setUpRecoveryCodes() {
    const button = $("#renew-recovery-codes");
    if (!button) return;
    button.addEventListener("click", async () => {
      if (!window.confirm("Make a new set of recovery codes? The ones you have stop working.")) return;
      const result = await withStepUp(() => api("POST", "/api/v1/me/recovery-codes"));
      if (!result.ok || !result.data) {
        say($("#recovery-message"), errorMessage(result, "No new codes were made."), true);
        return;
      }
      say($("#recovery-message"), "");
      const list = $("#recovery-codes");
      list.replaceChildren();
      result.data.recovery_codes.forEach((code) => {
        const item = document.createElement("li");
        item.textContent = code;
        list.append(item);
      });
      $("#recovery-left").textContent = String(result.data.recovery_codes.length);
      const low = $("#recovery-low");
      if (low) low.hidden = true;
      $("#recovery-new").hidden = false;
      button.hidden = true;
    });
  }

  // ---- Integrations: service tokens -----------------------------------------

  function setUpIntegrations() {
    const message = $("#tokens-message");
    const form = $("#token-form");
    if (form) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        say(message, "");
        const body = {
          name: $("#token-name").value.trim(),
          role: $("#token-role").value,
          days: Number($("#token-days").value),
        };
        const result = await withStepUp(() => api("POST", "/api/v1/service-tokens", body));
        if (!result.ok || !result.data) {
          say(message, errorMessage(result, "The token was not created."), true);
          return;
        }
        form.hidden = true;
        $("#token-created-name").textContent = result.data.name;
        $("#token-created-value").textContent = result.data.token;
        $("#token-created").hidden = false;
      });
      // The token leaves the page with the reload: it is never shown again.
      $("#token-created-done").addEventListener("click", () => window.location.reload());
    }
    $$("[data-revoke-token]").forEach((button) => {
      button.addEventListener("click", async () => {
        if (!window.confirm("Revoke this token? The integration using it stops working at once.")) return;
        const path = "/api/v1/service-tokens/" + encodeURIComponent(button.getAttribute("data-revoke-token"));
        const result = await withStepUp(() => api("DELETE", path));
        if (result.ok) window.location.reload();
        else say(message, errorMessage(result, "The token was not revoked."), true);
      });
    });
  }

  // ---- Settings ---------------------------------------------------------------

  function setUpSettings() {
    const form = $("#settings-form");
    if (!form || !$("#settings-save")) return;
    const error = $("#settings-error");
    async function send(patch) {
      say(error, "");
      const result = await withStepUp(() => api("PATCH", "/api/v1/settings", patch));
      if (result.ok) {
        window.location.assign("/console/settings?saved=1");
      } else {
        say(error, errorMessage(result, "The settings were not changed."), true);
        error.scrollIntoView({ block: "center" });
      }
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      // Only what was changed on the page is sent.
      const patch = {};
      $$("#settings-form input[data-setting], #settings-form select[data-setting]").forEach((input) => {
        if (input.value === input.dataset.current) return;
        patch[input.dataset.setting] = input.type === "number" ? Number(input.value) : input.value;
      });
      const keepRaw = $("#keep-raw");
      const kept = $$("#keep-raw input[data-channel]").filter((c) => c.checked).map((c) => c.value);
      const before = keepRaw.dataset.current === "none" ? [] : keepRaw.dataset.current.split(", ");
      if ([...kept].sort().join(",") !== [...before].sort().join(",")) patch[keepRaw.dataset.setting] = kept;
      if (Object.keys(patch).length === 0) {
        say(error, "Nothing was changed.", true);
        return;
      }
      send(patch);
    });
    $$("button[data-revert]").forEach((button) => {
      button.addEventListener("click", () => send({ [button.dataset.revert]: null }));
    });
  }

  function setUpGovernance() {
    const rulesMessage = $("#rules-message");
    $$("button.toggle-rule").forEach((button) => {
      button.addEventListener("click", async () => {
        const path = "/api/v1/detection/rules/" + encodeURIComponent(button.dataset.rule);
        const body = { enabled: button.dataset.enable === "true" };
        const result = await withStepUp(() => api("PUT", path, body));
        if (result.ok) window.location.reload();
        else say(rulesMessage, errorMessage(result, "The rule was not changed."), true);
      });
    });
    const addPolicy = $("#policy-add");
    if (addPolicy) {
      addPolicy.addEventListener("click", async () => {
        const body = { id: $("#policy-id").value.trim(), text: $("#policy-text").value };
        const result = await withStepUp(() => api("POST", "/api/v1/policies", body));
        if (result.ok) window.location.reload();
        else say($("#policy-message"), errorMessage(result, "The policy was not added."), true);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpLogin();
    setUpSetup();
    const logout = $("#logout");
    if (logout) logout.addEventListener("click", () => signOut("signed_out"));
    const timeout = document.querySelector('meta[name="custos-idle-timeout"]');
    if (timeout) idle.start(Number(timeout.content));
    setUpInteraction();
    setUpAlert();
    setUpPeople();
    setUpGovernance();
    setUpSettings();
    setUpDevices();
    setUpEnrolDevice();
    setUpAccount();
    setUpRole();
    setUpIntegrations();
    setUpSignInReset();
    setUpRecoveryCodes();
  });
})();
