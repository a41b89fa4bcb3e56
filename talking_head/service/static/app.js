// The page: submit to /v1/talks, poll the job, show the video. No build step, no framework.
"use strict";

const $ = (id) => document.getElementById(id);
const POLL_MS = 600;
const FIELD_NAMES = {
  image: "Photo", audio: "Recording", text: "Text", size: "Size", engine: "Engine", avatar: "Avatar",
  video: "Your video",
  fps: "Frame rate", voice: "Voice", captions: "Captions", still: "Keep the head still",
};
const STAGES = {
  face: "Finding the face…", speech: "Making the speech…", motion: "Planning the motion…",
  render: "Animating…", done: "Done.",
};

let apiKey = sessionStorage.getItem("talking-head-key") || "";

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function setBusy(busy) {
  $("generate").disabled = busy;
  $("generate").textContent = busy ? "Working…" : "Generate";
}

function headers() {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}

// --- photo: choose, drop, preview, back to the default face ---

function showPhoto(file) {
  if (!file) {
    $("preview").src = "/default-face.png";
    $("photo-note").textContent = "Default face. Choose or drop a photo of one face to use your own.";
    $("use-default").hidden = true;
    return;
  }
  if (!file.type.startsWith("image/")) {
    showError(`${file.name} is not a photo. Choose a JPEG, PNG or WebP image.`);
    return;
  }
  $("preview").src = URL.createObjectURL(file);
  $("photo-note").textContent = file.name;
  $("use-default").hidden = false;
}

$("image").addEventListener("change", () => showPhoto($("image").files[0]));
$("use-default").addEventListener("click", () => {
  $("image").value = "";
  showPhoto(null);
});

const zone = $("drop-zone");
["dragenter", "dragover"].forEach((type) =>
  zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("over")));
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  const file = event.dataTransfer.files[0];
  if (!file) return;
  const transfer = new DataTransfer();
  transfer.items.add(file);
  $("image").files = transfer.files;
  showPhoto(file);
});

// --- speech source ---

document.querySelectorAll('input[name="source"]').forEach((radio) =>
  radio.addEventListener("change", () => {
    const audio = document.querySelector('input[name="source"]:checked').value === "audio";
    $("audio-box").hidden = !audio;
    $("text-box").hidden = audio;
  }));

// --- submit and follow the job ---

function formData() {
  const data = new FormData();
  const avatar = chosenAvatar();  // avatar.js: the avatar chosen, or null for the photo
  const photo = $("image").files[0];
  if (avatar) data.append("avatar", avatar);
  else if (photo) data.append("image", photo);
  const useAudio = document.querySelector('input[name="source"]:checked').value === "audio";
  if (useAudio) {
    const recording = $("audio").files[0];
    if (!recording) throw new Error("Choose a recording to upload, or switch to typing text.");
    data.append("audio", recording);
  } else {
    const text = $("text").value.trim();
    if (!text) throw new Error("Type the words to speak.");
    data.append("text", text);
  }
  if ($("voice").value) data.append("voice", $("voice").value);
  data.append("engine", $("engine").value);
  data.append("size", $("size").value);
  data.append("still", $("still").checked ? "true" : "false");
  data.append("captions", $("captions").checked ? "vtt" : "none");
  return data;
}

async function explain(response) {
  let error = {};
  try {
    error = (await response.json()).error || {};
  } catch (_) { /* not JSON: a proxy's page */ }
  if (response.status === 401) {
    $("key-box").hidden = false;
    $("api-key").focus();
    return "This server needs an API key. Enter it above and press Generate again.";
  }
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After") || "a few";
    return `The server is busy right now. Try again in ${wait} seconds.`;
  }
  if (response.status === 413) {
    return `${FIELD_NAMES[error.field] || "The upload"} is too large: ${error.message || "send a smaller file."}`;
  }
  const label = FIELD_NAMES[error.field];
  const message = error.message || `The server answered ${response.status}.`;
  return label ? `${label}: ${message}` : message;
}

// Where a talk's progress is shown (an avatar's build has its own: avatar.js).
const TALK_VIEW = {
  progress: "progress", stage: "stage", stages: STAGES, fields: FIELD_NAMES, failed: "The video could not be made.",
  pollMs: POLL_MS,
};

// Poll a job (a talk, or an avatar's build) until it is done, showing its progress in `view`'s elements.
async function follow(url, view = TALK_VIEW) {
  for (;;) {
    const response = await fetch(url, { headers: headers() });
    if (!response.ok) throw new Error(await explain(response));
    const job = await response.json();
    $(view.progress).value = job.progress;
    $(view.stage).textContent = job.status === "queued" ? "Waiting in the queue…" : (view.stages[job.stage] || "Working…");
    if (job.status === "done") return job;
    if (job.status === "failed") {
      const label = view.fields[job.error && job.error.field];
      const message = (job.error && job.error.message) || view.failed;
      throw new Error(label ? `${label}: ${message}` : message);
    }
    await new Promise((resolve) => setTimeout(resolve, view.pollMs));
  }
}

function showResult(job) {
  const video = $("video");
  video.querySelectorAll("track").forEach((track) => track.remove());
  video.src = job.video_url;
  if (job.captions_url) {
    const track = document.createElement("track");
    Object.assign(track, { kind: "captions", srclang: "en", label: "Captions", src: job.captions_url, default: true });
    video.appendChild(track);
  }
  $("download-video").href = job.video_url;
  $("download-video").setAttribute("download", `talk-${job.id}.mp4`);
  $("download-captions").hidden = !job.captions_url;
  if (job.captions_url) {
    $("download-captions").href = job.captions_url;
    $("download-captions").setAttribute("download", `talk-${job.id}.vtt`);
  }
  const result = job.result;
  $("result-note").textContent = `${result.duration_s.toFixed(1)} s, ${result.width}×${result.height}, ` +
    `made by the ${result.engine} engine` + (result.fallback ? ` (a simpler engine took over: ${result.fallback_reason})` : "") + ".";
  $("result").hidden = false;
}

$("talk-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  if (!$("key-box").hidden) {
    apiKey = $("api-key").value.trim();
    sessionStorage.setItem("talking-head-key", apiKey);
  }
  let data;
  try {
    data = formData();
  } catch (error) {
    showError(error.message);
    return;
  }
  setBusy(true);
  $("result").hidden = true;
  $("progress").value = 0;
  $("stage").textContent = "Uploading…";
  $("progress-box").hidden = false;
  try {
    const response = await fetch("/v1/talks", { method: "POST", body: data, headers: headers() });
    if (response.status !== 202) throw new Error(await explain(response));
    const job = await follow((await response.json()).url);
    showResult(job);
  } catch (error) {
    const offline = error instanceof TypeError;
    showError(offline ? "Cannot reach the server. Check the connection and try again." : error.message);
  } finally {
    setBusy(false);
    $("progress-box").hidden = true;
  }
});

// The voice picker lists what the server has installed (GET /v1/voices).
async function loadVoices() {
  try {
    const response = await fetch("/v1/voices", { headers: headers() });
    if (!response.ok) return;  // keep the default; a key may be needed first
    const list = await response.json();
    const picker = $("voice");
    picker.replaceChildren();
    for (const voice of list.voices) {
      const option = document.createElement("option");
      option.value = voice.bundled ? "" : voice.name;
      option.textContent = `${voice.name} (${voice.language_name})`;
      option.selected = voice.name === list.default;
      picker.append(option);
    }
  } catch (error) {
    // offline or refused: the default voice stays offered
  }
}
loadVoices();
