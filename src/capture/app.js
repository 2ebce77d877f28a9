// The capture page's script (templates/capture.html), served as /capture/app.js. It reads the capture token from
// the URL fragment (#token=...), asks the API for the challenge, opens the camera, then, from the first grabbed
// frame on: shows each flashed colour full screen for its duration (the applicant looks straight at the camera),
// then each head movement in turn with a "return to centre" after it, grabbing the camera's raw (unmirrored)
// frames at about 10 per second as JPEG, and finally posts them and shows the outcome.
//
// Progress for people and tests: #status[data-state] is one of
// loading | ready | capturing | uploading | live | retry | failed | error; on error, #status[data-error] says which
// (link, not-found, expired, network, server, camera-denied, no-camera, camera, unsupported). #attempts-left holds
// the attempts left (also as data-count); #instruction[data-phase] is flash | action:<name> | centre while capturing.
"use strict";

(function () {
  // Capture timing (ms). The flash schedule starts at the first grabbed frame (at_ms 0); each action is shown for
  // ACTION_MS, then "return to centre" for CENTRE_MS.
  const ACTION_MS = 1400;
  const CENTRE_MS = 700;
  const AUTOSTART_MS = 1500;
  const TARGET_INTERVAL_MS = 100;
  const MAX_FRAMES = 70;
  const MAX_WIDTH = 480;
  const JPEG_QUALITY = 0.85;
  const MAX_FRAME_BYTES = 250000;
  // Without requestVideoFrameCallback (or when it stops calling back), frames are grabbed on a timer.
  const TICK_MS = 20;
  const CALLBACK_STALL_MS = 400;

  const app = document.getElementById("app");
  const statusEl = document.getElementById("status");
  const attemptsBox = document.getElementById("attempts");
  const attemptsEl = document.getElementById("attempts-left");
  const stage = document.getElementById("stage");
  const instruction = document.getElementById("instruction");
  const video = document.getElementById("preview");
  const startButton = document.getElementById("start");
  const retryButton = document.getElementById("retry");
  const canvas = document.createElement("canvas");

  const texts = {};
  document.querySelectorAll("#texts li").forEach(function (li) {
    texts[li.dataset.key] = li.textContent;
  });
  function t(key) {
    return Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  }

  const sessionId = app.dataset.sessionId;
  let token = null;
  let stream = null;
  let challenge = null;
  let autostart = null;
  let capture = null;

  // A failure the page explains: `kind` names the message (error-<kind>); `final` hides the retry button.
  function Failure(kind, final) {
    this.kind = kind;
    this.final = Boolean(final);
  }

  function setState(state, message, error) {
    statusEl.dataset.state = state;
    statusEl.textContent = message;
    if (error) {
      statusEl.dataset.error = error;
    } else {
      delete statusEl.dataset.error;
    }
  }

  function setAttempts(n) {
    if (typeof n !== "number" || !isFinite(n)) return;
    attemptsEl.textContent = String(n);
    attemptsEl.dataset.count = String(n);
    attemptsBox.hidden = false;
  }

  function showFailure(e) {
    const failure = e instanceof Failure ? e : new Failure("server", false);
    endCapture();
    setState("error", t(`error-${failure.kind}`), failure.kind);
    startButton.hidden = true;
    retryButton.hidden = failure.final;
    if (failure.final) stopCamera();
  }

  function readToken() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    const value = params.get("token");
    return value && value.length <= 1024 ? value : null;
  }

  function failureFor(status) {
    if (status === 401 || status === 403) return new Failure("link", true);
    if (status === 404) return new Failure("not-found", true);
    if (status === 410) return new Failure("expired", true);
    return new Failure("server", false);
  }

  async function api(what, init) {
    const url = "/v1/liveness/sessions/" + encodeURIComponent(sessionId) + "/" + what;
    const options = Object.assign(
      { cache: "no-store", credentials: "omit", headers: { Authorization: "Capture " + token } },
      init || {}
    );
    let response;
    try {
      response = await fetch(url, options);
    } catch (_) {
      throw new Failure("network", false);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) throw failureFor(response.status);
    if (!body || typeof body !== "object") throw new Failure("server", false);
    return body;
  }

  async function fetchChallenge() {
    const body = await api("challenge");
    if (!Array.isArray(body.challenges) || !Array.isArray(body.flashes)) throw new Failure("server", false);
    setAttempts(body.attempts_left);
    return body;
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Failure("unsupported", true);
    try {
      return await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (e) {
      const name = e && e.name;
      if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
        throw new Failure("camera-denied", true);
      }
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
        throw new Failure("no-camera", true);
      }
      throw new Failure("camera", true);
    }
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
  }

  // Plays the preview; false when the browser wants a gesture first (the Start button then plays it).
  async function playVideo() {
    try {
      await video.play();
    } catch (_) {
      return false;
    }
    if (video.readyState < 1 || !video.videoWidth) {
      await new Promise(function (resolve) {
        video.addEventListener("loadedmetadata", resolve, { once: true });
        setTimeout(resolve, 3000);
      });
    }
    return video.videoWidth > 0;
  }

  // The timeline of one attempt: [{end, kind, colour|action}], ends in ms from the first frame.
  function schedule(ch) {
    const phases = [];
    let end = 0;
    ch.flashes.forEach(function (flash) {
      end += Math.max(0, Number(flash.duration_ms) || 0);
      phases.push({ end: end, kind: "flash", colour: String(flash.colour) });
    });
    ch.challenges.forEach(function (action) {
      end += ACTION_MS;
      phases.push({ end: end, kind: "action", action: String(action) });
      end += CENTRE_MS;
      phases.push({ end: end, kind: "centre" });
    });
    return phases;
  }

  function ready() {
    setState("ready", t("ready"));
    startButton.hidden = false;
    retryButton.hidden = true;
    clearTimeout(autostart);
    autostart = setTimeout(startCapture, AUTOSTART_MS);
  }

  async function begin() {
    token = readToken();
    if (!token) return showFailure(new Failure("link", true));
    setState("loading", t("loading"));
    try {
      challenge = await fetchChallenge();
      if (!stream) {
        setState("loading", t("camera-request"));
        stream = await openCamera();
        stream.getVideoTracks().forEach(function (track) {
          track.addEventListener("ended", function () {
            if (capture) showFailure(new Failure("camera", true));
          });
        });
        video.srcObject = stream;
      }
    } catch (e) {
      return showFailure(e);
    }
    if (await playVideo()) {
      ready();
    } else {
      // No autoplay without a gesture: the Start button plays the preview and starts.
      setState("ready", t("ready"));
      startButton.hidden = false;
    }
  }

  async function startCapture() {
    clearTimeout(autostart);
    if (capture || !challenge || !stream) return;
    startButton.hidden = true;
    retryButton.hidden = true;
    if (video.paused || !video.videoWidth) {
      if (!(await playVideo())) return showFailure(new Failure("camera", true));
    }
    const phases = schedule(challenge);
    const total = phases.length ? phases[phases.length - 1].end : 0;
    capture = {
      phases: phases,
      total: total,
      interval: Math.max(TARGET_INTERVAL_MS, Math.ceil(total / (MAX_FRAMES - 1))),
      t0: null,
      lastGrab: -Infinity,
      lastAt: -1,
      // Without the callback, the timer grabs from the start.
      lastCallback: typeof video.requestVideoFrameCallback === "function" ? performance.now() : -Infinity,
      frames: [],
      timer: null,
    };
    document.body.classList.add("capturing", "flashing");
    // The first colour is on the screen before the first frame: the schedule starts with that frame.
    if (phases.length && phases[0].kind === "flash") stage.style.backgroundColor = phases[0].colour;
    setState("capturing", t("look-straight"));
    instruction.textContent = t("look-straight");
    instruction.dataset.phase = "flash";
    const own = capture;
    if (typeof video.requestVideoFrameCallback === "function") {
      const onFrame = function (now) {
        if (capture !== own) return;
        own.lastCallback = performance.now();
        grab(own, now);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    own.timer = setInterval(function () { tick(own); }, TICK_MS);
  }

  // One frame of the camera, scaled to at most MAX_WIDTH wide, as it came (the preview's mirroring is CSS only).
  function grab(c, now) {
    if (c.frames.length >= MAX_FRAMES || now - c.lastGrab < c.interval - 8) return;
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return;
    if (c.t0 === null) c.t0 = now;
    let at = Math.round(now - c.t0);
    if (at <= c.lastAt) at = c.lastAt + 1;
    if (at > c.total) return;
    c.lastAt = at;
    c.lastGrab = now;
    const scale = Math.min(1, MAX_WIDTH / width);
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    c.frames.push({
      at: at,
      blob: new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); }),
    });
    show(c, now);
    statusEl.dataset.frames = String(c.frames.length);
  }

  // The screen at `now`: the flashed colour or the action's instruction.
  function show(c, now) {
    const elapsed = now - c.t0;
    const phase = c.phases.find(function (p) { return elapsed < p.end; });
    if (!phase) return;
    if (phase.kind === "flash") {
      stage.style.backgroundColor = phase.colour;
      setInstruction("flash", t("look-straight"));
    } else {
      document.body.classList.remove("flashing");
      stage.style.backgroundColor = "#000";
      if (phase.kind === "action") {
        setInstruction("action:" + phase.action, t(`action-${phase.action}`));
      } else {
        setInstruction("centre", t("centre"));
      }
    }
  }

  function setInstruction(phase, text) {
    if (instruction.dataset.phase === phase && instruction.textContent === text) return;
    instruction.dataset.phase = phase;
    instruction.textContent = text;
    statusEl.textContent = text;
  }

  function tick(c) {
    if (capture !== c) return;
    const now = performance.now();
    if (now - c.lastCallback > CALLBACK_STALL_MS) grab(c, now);
    if (c.t0 === null) return;
    if (now - c.t0 >= c.total) {
      finish(c);
    } else {
      show(c, now);
    }
  }

  function endCapture() {
    if (capture && capture.timer) clearInterval(capture.timer);
    capture = null;
    document.body.classList.remove("capturing", "flashing");
    stage.style.backgroundColor = "";
    instruction.textContent = "";
    instruction.dataset.phase = "";
  }

  async function sameBytes(a, b) {
    if (!a || !b || a.size !== b.size) return false;
    const [x, y] = await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
    const u = new Uint8Array(x);
    const v = new Uint8Array(y);
    for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
    return true;
  }

  async function finish(c) {
    endCapture();
    setState("uploading", t("uploading"));
    const form = new FormData();
    let previous = null;
    let count = 0;
    for (const frame of c.frames) {
      const blob = await frame.blob;
      // A frame grabbed twice from the same camera image (timer mode) would read as a replayed frame.
      if (!blob || blob.size > MAX_FRAME_BYTES || (await sameBytes(blob, previous))) continue;
      previous = blob;
      form.append("frame", blob, frame.at + ".jpg");
      count++;
    }
    statusEl.dataset.frames = String(count);
    let body;
    try {
      body = await api("frames", { method: "POST", body: form });
    } catch (e) {
      return showFailure(e);
    }
    setAttempts(body.attempts_left);
    if (body.result === "live") {
      setState("live", t("live"));
      retryButton.hidden = true;
      stopCamera();
    } else if (body.result === "retry") {
      setState("retry", t("retry"));
      retryButton.hidden = false;
    } else if (body.result === "failed") {
      setState("failed", t("failed"));
      retryButton.hidden = true;
      stopCamera();
    } else {
      showFailure(new Failure("server", false));
    }
  }

  startButton.addEventListener("click", function () {
    if (challenge && stream) startCapture();
  });
  retryButton.addEventListener("click", function () {
    retryButton.hidden = true;
    begin();
  });
  begin();
})();
