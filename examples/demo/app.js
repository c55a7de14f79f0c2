// The demo page's script: choose or record audio, send it to /api/predict, draw the answer.
// No libraries, no network besides this server.
"use strict";

// Colours for labels the style sheet has no `--<name>` colour for (a checkpoint's own classes).
const FALLBACK_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const TIMELINE_MIN_SECONDS = 4;

const $ = (id) => document.getElementById(id);
const state = { blob: null, name: null, recorder: null, models: [] };

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
  $("emotion").textContent = body.emotion;
  $("emotion").style.color = color(body.emotion, labels);
  $("confidence").textContent = percent(body.confidence) + " confident · " + body.duration_s.toFixed(1) + " s · " + body.model;

  const bars = $("bars");
  bars.innerHTML = "";
  for (const e of labels) {
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
  $("timings").textContent = "decode " + t.decode.toFixed(1) + " ms · features " + t.features.toFixed(1) +
    " ms · model " + t.inference.toFixed(1) + " ms";

  const long = body.timeline && body.duration_s > TIMELINE_MIN_SECONDS && body.timeline.windows.length > 1;
  $("timeline-box").hidden = !long;
  if (long) drawTimeline(body.timeline, labels);
  $("result").hidden = false;
}

// Line chart of each label's probability per window (x: window centre in seconds).
function drawTimeline(timeline, labels) {
  const W = 700, H = 240, left = 38, right = 12, top = 12, bottom = 30;
  const windows = timeline.windows;
  const t0 = 0;
  const t1 = Math.max(...windows.map((w) => w.end));
  const x = (t) => left + (W - left - right) * (t - t0) / (t1 - t0);
  const y = (p) => top + (H - top - bottom) * (1 - p);
  const svg = [];
  svg.push('<svg viewBox="0 0 ' + W + " " + H + '" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Emotion probabilities over time">');
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    svg.push('<line x1="' + left + '" x2="' + (W - right) + '" y1="' + y(p) + '" y2="' + y(p) + '" stroke="#e3e6ec"/>');
    svg.push('<text x="' + (left - 6) + '" y="' + (y(p) + 4) + '" font-size="11" text-anchor="end" fill="#667085">' + (100 * p) + "%</text>");
  }
  const step = t1 > 30 ? 10 : t1 > 12 ? 2 : 1;
  for (let s = 0; s <= t1 + 1e-9; s += step) {
    svg.push('<text x="' + x(s) + '" y="' + (H - 10) + '" font-size="11" text-anchor="middle" fill="#667085">' + s + " s</text>");
  }
  // A dot on the most likely emotion of each window.
  for (const w of windows) {
    const c = (w.start + w.end) / 2;
    svg.push('<circle cx="' + x(c) + '" cy="' + y(w.probabilities[w.emotion]) + '" r="4" fill="' + color(w.emotion, labels) + '"><title>' +
      w.start.toFixed(1) + "–" + w.end.toFixed(1) + " s: " + escapeHtml(w.emotion) + "</title></circle>");
  }
  for (const e of labels) {
    const points = windows.map((w) => x((w.start + w.end) / 2).toFixed(1) + "," + y(w.probabilities[e]).toFixed(1));
    svg.push('<polyline fill="none" stroke-width="2" stroke="' + color(e, labels) + '" points="' + points.join(" ") + '"/>');
  }
  svg.push("</svg>");
  $("timeline").innerHTML = svg.join("");
  $("timeline-caption").textContent = windows.length + " windows of " + timeline.window_s + " s, every " +
    timeline.hop_s + " s; dots mark each window's most likely emotion.";
  $("timeline-legend").innerHTML = labels.map((e) => '<span><i style="background:' + color(e, labels) + '"></i>' + escapeHtml(e) + "</span>").join("");
}

loadModels();
