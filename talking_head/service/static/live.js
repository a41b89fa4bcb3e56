// Live mode: text over a WebSocket to /v1/live, the fragmented MP4 back into Media Source Extensions.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const video = $("live-video");
  // What a test (or a curious developer) can read: the events seen and whether the stream ended.
  const state = (window.liveState = { events: [], ended: false, bytes: 0 });
  let socket = null;
  // The connection being opened, shared by every click made while it opens, so that words typed
  // and sent before the server has answered wait for it (in the order said) instead of being lost.
  let opening = null;
  let source = null;
  let buffer = null;
  const pending = [];

  function showError(message) {
    $("live-error").textContent = message;
    $("live-error").hidden = !message;
  }

  function setOpen(open) {
    $("live-end").disabled = !open;
    $("live-say").textContent = open ? "Say more" : "Speak live";
  }

  function readPhoto() {
    const file = $("image").files[0];
    if (!file) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);  // a data: URL; the server takes the base64 after the comma
      reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
      reader.readAsDataURL(file);
    });
  }

  function appendNext() {
    if (!buffer || buffer.updating || !pending.length) return;
    buffer.appendBuffer(pending.shift());
  }

  function startMedia(mime) {
    if (!window.MediaSource || !MediaSource.isTypeSupported(mime)) {
      showError("This browser cannot play live video (no Media Source Extensions for H.264 and AAC).");
      return;
    }
    source = new MediaSource();
    video.src = URL.createObjectURL(source);
    video.hidden = false;
    source.addEventListener("sourceopen", () => {
      buffer = source.addSourceBuffer(mime);
      buffer.addEventListener("updateend", appendNext);
      appendNext();
    }, { once: true });
    video.play().catch(() => { video.controls = true; });  // autoplay refused: let the viewer press play
  }

  function onEvent(event) {
    state.events.push(event);
    if (event.type === "ready") startMedia(event.mime);
    else if (event.type === "unit") $("live-caption").textContent = event.text;
    else if (event.type === "error") showError(event.message);
    else if (event.type === "end") {
      state.ended = true;
      const finish = () => (source && source.readyState === "open" ? source.endOfStream() : null);
      if (buffer && (buffer.updating || pending.length)) buffer.addEventListener("updateend", () => {
        if (!pending.length) finish();
      });
      else finish();
    }
  }

  async function open() {
    const key = sessionStorage.getItem("talking-head-key") || "";
    const start = { size: Number($("size").value) || 512, still: $("still").checked };
    if ($("voice").value) start.voice = $("voice").value;
    if (key) start.api_key = key;
    const avatar = chosenAvatar();
    const photo = avatar ? null : await readPhoto();
    if (avatar) start.avatar = avatar;
    if (photo) start.image = photo;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/v1/live`);
    socket.binaryType = "arraybuffer";
    Object.assign(state, { events: [], ended: false, bytes: 0 });
    pending.length = 0;
    socket.onmessage = (message) => {
      if (typeof message.data === "string") return onEvent(JSON.parse(message.data));
      state.bytes += message.data.byteLength;
      pending.push(message.data);
      appendNext();
    };
    socket.onclose = () => {
      socket = null;
      opening = null;
      setOpen(false);
      if (!state.ended) showError("The live connection closed before the end.");
    };
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error("cannot connect to the live stream"));
    });
    socket.send(JSON.stringify({ start }));
    $("live-caption").textContent = "Starting…";
    setOpen(true);
  }

  $("live-say").addEventListener("click", async () => {
    const text = $("live-text").value.trim();
    if (!text) return showError("Type the words to speak.");
    showError("");
    try {
      if (!opening) opening = open();
      await opening;
      socket.send(JSON.stringify({ text: text + " " }));
    } catch (error) {
      opening = null;
      showError(error.message);
    }
  });

  $("live-end").addEventListener("click", () => {
    if (socket) socket.send(JSON.stringify({ end: true }));
    $("live-end").disabled = true;
  });
})();
