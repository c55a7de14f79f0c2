// The demo page's script: choose or record audio, send it to /api/predict, draw the answer.
// No libraries, no network besides this server.
"use strict";

// Colours for labels the style sheet has no `--<name>` colour for (a checkpoint's own classes).
const FALLBACK_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const TIMELINE_MIN_SECONDS = 4;

const $ = (id) => document.getElementById(id);
const state = { blob: null, name: null, recorder: null, models: [], stopAt: null };

// The model's labels in its order: the answer's `labels` (any number, any names), else the keys
// of its probabilities.
function labelsOf(body) {
  return Array.isArray(body.labels) ? body.labels : Object.keys(body.probabilities);
}

// A label's colour: the style sheet's `--<label>`, else a fallback by its position in `labels`.
function color(label, labels) {
  const own = /^[a-z][a-z0-9_-]*$/.test(label) ?
    getComputedStyle(document.documentElement).getPropertyValue("--" + label).trim() : "";
  const i = labels ? labels.indexOf(label) : -1;
  return own || (i >= 0 ? FALLBACK_COLORS[i % FALLBACK_COLORS.length] : "#888");
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function percent(p) {
  return (100 * p).toFixed(1) + " %";
}

// ---------------------------------------------------------------------------------------------
// Choosing audio

function setAudio(blob, name) {
  state.blob = blob;
  state.name = name;
  const player = $("player");
  if (player.src) URL.revokeObjectURL(player.src);
  player.src = URL.createObjectURL(blob);
  player.hidden = false;
  $("source-name").textContent = name + " (" + (blob.size / 1024).toFixed(0) + " KiB)";
  $("predict-button").disabled = false;
  $("result-card").hidden = true;
}

$("file-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) setAudio(file, file.name);
});

// Recording: MediaRecorder captures the microphone (webm/opus in most browsers), the Web Audio
// API decodes it to PCM, and we encode a 16-bit mono WAV, which the server can always decode.
$("record-button").addEventListener("click", async () => {
  if (state.recorder) {
    state.recorder.stop();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    $("record-status").textContent = "Microphone not available: " + err.message;
    return;
  }
  const chunks = [];
  const recorder = new MediaRecorder(stream);
  state.recorder = recorder;
  const started = Date.now();
  const timer = setInterval(() => {
    $("record-status").textContent = "Recording… " + ((Date.now() - started) / 1000).toFixed(1) + " s";
  }, 100);
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = async () => {
    clearInterval(timer);
    stream.getTracks().forEach((t) => t.stop());
    state.recorder = null;
    $("record-button").textContent = "● Record";
    $("record-button").classList.remove("recording");
    try {
      const encoded = await new Blob(chunks).arrayBuffer();
      const ctx = new AudioContext();
      const decoded = await ctx.decodeAudioData(encoded);
      ctx.close();
      const wav = encodeWav(decoded);
      $("record-status").textContent = "Recorded " + decoded.duration.toFixed(1) + " s.";
      setAudio(wav, "recording.wav");
    } catch (err) {
      $("record-status").textContent = "Could not decode the recording: " + err.message;
    }
  };
  recorder.start();
  $("record-button").textContent = "■ Stop";
  $("record-button").classList.add("recording");
});

// Mono 16-bit PCM WAV of an AudioBuffer (channels averaged).
function encodeWav(buffer) {
  const n = buffer.length;
  const channels = [];
  for (let c = 0; c < buffer.numberOfChannels; c++) channels.push(buffer.getChannelData(c));
  const view = new DataView(new ArrayBuffer(44 + 2 * n));
  const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
  text(0, "RIFF");
  view.setUint32(4, 36 + 2 * n, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);           // fmt chunk size
  view.setUint16(20, 1, true);            // PCM
  view.setUint16(22, 1, true);            // mono
  view.setUint32(24, buffer.sampleRate, true);
  view.setUint32(28, buffer.sampleRate * 2, true);
  view.setUint16(32, 2, true);            // block align
  view.setUint16(34, 16, true);           // bits per sample
  text(36, "data");
  view.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const ch of channels) s += ch[i];
    s = Math.max(-1, Math.min(1, s / channels.length));
    view.setInt16(44 + 2 * i, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([view], { type: "audio/wav" });
}

// ---------------------------------------------------------------------------------------------
// Models

async function loadModels() {
  try {
    const response = await fetch("/api/models");
    const body = await response.json();
    state.models = body.models;
    const select = $("model-select");
    select.innerHTML = "";
    for (const m of body.models) {
      const option = document.createElement("option");
      option.value = m.id;
      option.textContent = m.name;
      select.appendChild(option);
    }
    select.value = body.default;
    describeModel();
  } catch (err) {
    $("model-description").textContent = "Could not list the models: " + err.message;
  }
}

function describeModel() {
  const m = state.models.find((x) => x.id === $("model-select").value);
  $("model-description").textContent = m ? m.description : "";
}

$("model-select").addEventListener("change", describeModel);

// ---------------------------------------------------------------------------------------------
// Predicting

$("predict-button").addEventListener("click", predict);

async function predict() {
  if (!state.blob) return;
  const button = $("predict-button");
  button.disabled = true;
  button.textContent = "Predicting…";
  $("result-card").hidden = false;
  $("error").hidden = true;
  $("result").hidden = true;
  const model = $("model-select").value;
  const url = "/api/predict?model=" + encodeURIComponent(model) + "&timeline=1&name=" + encodeURIComponent(state.name);
  try {
    const response = await fetch(url, { method: "POST", body: state.blob });
    let body;
    try {
      body = await response.json();
    } catch (_) {
      body = { error: "The server answered " + response.status + " " + response.statusText + "." };
    }
    if (!response.ok) {
      showError(body.error || ("The server answered " + response.status + "."));
    } else {
      showResult(body);
    }
  } catch (err) {
    showError("Could not reach the server: " + err.message);
  } finally {
    button.disabled = false;
    button.textContent = "Predict";
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("result").hidden = true;
}

function showResult(body) {
  const labels = labelsOf(body);
  // Silence and non-speech are not emotions: the server says `"speech": false, "emotion": null`.
  const speech = body.speech !== false && body.emotion != null;
  $("result").dataset.speech = String(speech);
  $("emotion").classList.toggle("none", !speech);
  if (speech) {
    $("emotion").textContent = body.emotion;
    $("emotion").style.color = color(body.emotion, labels);
    $("confidence").textContent = percent(body.confidence) + " confident · " + body.duration_s.toFixed(1) + " s · " + body.model;
  } else {
    $("emotion").textContent = "No speech";
    $("emotion").style.color = "var(--muted)";
    $("confidence").textContent = "silence or steady noise, no emotion to tell · " + body.duration_s.toFixed(1) + " s · " + body.model;
  }

  const bars = $("bars");
  bars.innerHTML = "";
  bars.hidden = !speech;
  for (const e of speech ? labels : []) {
    const p = body.probabilities[e];
    const label = document.createElement("span");
    label.className = "bar-label" + (e === body.emotion ? " top" : "");
    label.textContent = e;
    const track = document.createElement("div");
    track.className = "bar-track";
    const fill = document.createElement("div");
    fill.className = "bar-fill";
    fill.style.width = (100 * p).toFixed(2) + "%";
    fill.style.background = color(e, labels);
    fill.dataset.emotion = e;
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = percent(p);
    bars.append(label, track, value);
  }

  const t = body.timings_ms;
  $("timings").textContent = "decode " + t.decode.toFixed(1) + " ms · speech detection " + (t.vad || 0).toFixed(1) +
    " ms · features " + t.features.toFixed(1) + " ms · model " + t.inference.toFixed(1) + " ms";

  const long = body.timeline && body.duration_s > TIMELINE_MIN_SECONDS && body.timeline.windows.length > 1;
  $("timeline-box").hidden = !long;
  if (long) drawTimeline(body.timeline, labels, body.duration_s);
  $("result").hidden = false;
}

// ---------------------------------------------------------------------------------------------
// The timeline band: one segment per window, coloured by the window's most likely emotion, blank
// where the window holds no speech. Windows overlap (3 s every 1 s), so each segment covers the
// stretch nearest to its window's centre (halfway to the neighbouring centres); hovering shows
// the window's probabilities, a click plays the whole window.

function drawTimeline(timeline, labels, duration) {
  const windows = timeline.windows;
  const total = Math.max(duration, ...windows.map((w) => w.end));
  const centres = windows.map((w) => (w.start + w.end) / 2);
  const pct = (t) => (100 * t / total).toFixed(3) + "%";
  const box = $("timeline");
  box.innerHTML = "";
  const band = document.createElement("div");
  band.className = "band";
  band.setAttribute("role", "group");
  band.setAttribute("aria-label", "Emotion over time");
  windows.forEach((w, i) => {
    const from = i === 0 ? 0 : (centres[i - 1] + centres[i]) / 2;
    const to = i === windows.length - 1 ? total : (centres[i] + centres[i + 1]) / 2;
    const speech = w.speech !== false && w.emotion != null;
    const seg = document.createElement("div");
    seg.className = "segment" + (speech ? "" : " no-speech");
    seg.style.left = pct(from);
    seg.style.width = pct(Math.max(0, to - from));
    if (speech) seg.style.background = color(w.emotion, labels);
    seg.dataset.index = String(i);
    seg.dataset.speech = String(speech);
    seg.dataset.emotion = speech ? w.emotion : "";
    seg.dataset.start = String(w.start);
    seg.dataset.end = String(w.end);
    seg.tabIndex = 0;
    seg.setAttribute("role", "button");
    const span = w.start.toFixed(1) + "–" + w.end.toFixed(1) + " s";
    seg.setAttribute("aria-label", span + ": " + (speech ? w.emotion + " " + percent(w.probabilities[w.emotion]) : "no speech") + "; play");
    const show = () => showTooltip(seg, w, labels, speech, span);
    seg.addEventListener("mouseenter", show);
    seg.addEventListener("focus", show);
    seg.addEventListener("mouseleave", hideTooltip);
    seg.addEventListener("blur", hideTooltip);
    seg.addEventListener("click", () => playStretch(w.start, w.end, seg));
    seg.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        playStretch(w.start, w.end, seg);
      }
    });
    band.appendChild(seg);
  });
  const axis = document.createElement("div");
  axis.className = "band-axis";
  const step = total > 60 ? 10 : total > 30 ? 5 : total > 12 ? 2 : 1;
  for (let s = 0; s <= total + 1e-9; s += step) {
    const tick = document.createElement("span");
    tick.style.left = pct(s);
    tick.textContent = s + " s";
    axis.appendChild(tick);
  }
  const tooltip = document.createElement("div");
  tooltip.id = "band-tooltip";
  tooltip.className = "band-tooltip";
  tooltip.hidden = true;
  tooltip.setAttribute("role", "tooltip");
  box.append(band, axis, tooltip);

  const silent = windows.filter((w) => w.speech === false).length;
  $("timeline-caption").textContent = windows.length + " windows of " + timeline.window_s + " s, every " +
    timeline.hop_s + " s, coloured by each window's most likely emotion" +
    (silent ? "; blank: no speech (" + silent + ")" : "") + ". Hover for the probabilities, click to play.";
  const swatches = labels.map((e) => '<span><i style="background:' + color(e, labels) + '"></i>' + escapeHtml(e) + "</span>");
  swatches.push('<span class="no-speech-key"><i class="no-speech"></i>no speech</span>');
  $("timeline-legend").innerHTML = swatches.join("");
}

function showTooltip(seg, w, labels, speech, span) {
  const tip = $("band-tooltip");
  if (!tip) return;
  let html = "<strong>" + escapeHtml(span) + "</strong>";
  if (speech) {
    const ranked = labels.map((e) => [e, w.probabilities[e]]).sort((a, b) => b[1] - a[1]);
    html += '<table>' + ranked.map(([e, p]) => '<tr' + (e === w.emotion ? ' class="top"' : "") + '><td><i style="background:' +
      color(e, labels) + '"></i>' + escapeHtml(e) + "</td><td>" + percent(p) + "</td></tr>").join("") + "</table>";
  } else {
    html += "<div>no speech</div>";
  }
  tip.innerHTML = html;
  tip.hidden = false;
  // Centre above the segment, kept inside the box.
  const box = $("timeline").getBoundingClientRect();
  const r = seg.getBoundingClientRect();
  const width = tip.offsetWidth;
  const left = Math.min(Math.max(0, r.left - box.left + r.width / 2 - width / 2), box.width - width);
  tip.style.left = left + "px";
  tip.style.top = (r.bottom - box.top + 6) + "px";
}

function hideTooltip() {
  const tip = $("band-tooltip");
  if (tip) tip.hidden = true;
}

// Plays `start`..`end` seconds of the chosen audio in the page's player, then pauses.
function playStretch(start, end, seg) {
  const player = $("player");
  document.querySelectorAll(".segment.playing").forEach((el) => el.classList.remove("playing"));
  seg.classList.add("playing");
  state.stopAt = end;
  player.currentTime = start;
  const played = player.play();
  if (played && played.catch) played.catch(() => { state.stopAt = null; });
}

$("player").addEventListener("timeupdate", () => {
  const player = $("player");
  if (state.stopAt != null && player.currentTime >= state.stopAt) {
    state.stopAt = null;
    player.pause();
  }
});
$("player").addEventListener("pause", () => {
  state.stopAt = null;
  document.querySelectorAll(".segment.playing").forEach((el) => el.classList.remove("playing"));
});

loadModels();
