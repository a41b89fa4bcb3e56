// "Use a video of yourself": upload a clip to /v1/avatars, follow the build, then speak with the avatar.
// Uses headers(), explain() and follow() from app.js.
"use strict";

(() => {
  const AVATAR_POLL_MS = 700;
  const AVATAR_STAGES = { tracking: "Finding your face in every frame…", "mouth bank": "Cutting out your mouths…",
    "loop plan": "Planning the idle loop…", done: "Done." };
  const BUILD_VIEW = { progress: "avatar-progress", stage: "avatar-stage", stages: AVATAR_STAGES, fields: {},
    failed: "The avatar could not be made.", pollMs: AVATAR_POLL_MS };

  function usingAvatar() {
    return document.querySelector('input[name="who"]:checked').value === "avatar";
  }

  // The avatar chosen, or null when the photo speaks; an error when a video was wanted but none is ready.
  window.chosenAvatar = () => {
    if (!usingAvatar()) return null;
    const id = $("avatar").value;
    if (!id) throw new Error("Make your avatar first: choose a video of yourself and press Make my avatar.");
    return id;
  };

  function addAvatar(avatar, select) {
    const picker = $("avatar");
    if (!picker.querySelector(`option[value="${avatar.id}"]`)) {
      const option = document.createElement("option");
      option.value = avatar.id;
      option.textContent = `${avatar.result.name} (${(avatar.result.frames / avatar.result.fps).toFixed(0)} s of video)`;
      picker.append(option);
    }
    const none = picker.querySelector('option[value=""]');
    if (none) none.remove();
    if (select) picker.value = avatar.id;
    $("avatar-delete").hidden = !picker.value;
  }

  async function loadAvatars() {
    try {
      const response = await fetch("/v1/avatars?limit=100", { headers: headers() });
      if (!response.ok) return;  // a key may be needed first
      const list = await response.json();
      list.items.filter((a) => a.status === "done").reverse().forEach((a) => addAvatar(a, true));
    } catch (error) {
      // offline: the picker stays empty until a video is uploaded
    }
  }

  async function makeAvatar() {
    showError("");
    const clip = $("avatar-video").files[0];
    if (!clip) {
      showError("Your video: choose a video of yourself speaking to the camera first.");
      return;
    }
    if (!$("key-box").hidden) apiKey = $("api-key").value.trim();
    const data = new FormData();
    data.append("video", clip);
    $("avatar-make").disabled = true;
    $("avatar-progress").value = 0;
    $("avatar-stage").textContent = "Uploading…";
    $("avatar-progress-box").hidden = false;
    try {
      const response = await fetch("/v1/avatars", { method: "POST", body: data, headers: headers() });
      if (response.status !== 202) throw new Error(await explain(response));
      addAvatar(await follow((await response.json()).url, BUILD_VIEW), true);
      $("avatar-stage").textContent = "Your avatar is ready: type the words and press Generate, or speak live.";
    } catch (error) {
      const offline = error instanceof TypeError;
      showError(offline ? "Cannot reach the server. Check the connection and try again."
        : `Your video: ${error.message}`);
      $("avatar-progress-box").hidden = true;
    } finally {
      $("avatar-make").disabled = false;
    }
  }

  async function deleteAvatar() {
    const picker = $("avatar");
    const id = picker.value;
    if (!id) return;
    const response = await fetch(`/v1/avatars/${id}`, { method: "DELETE", headers: headers() });
    if (response.status !== 204 && response.status !== 404) {
      showError(await explain(response));
      return;
    }
    picker.querySelector(`option[value="${id}"]`).remove();
    $("avatar-delete").hidden = !picker.value;
  }

  document.querySelectorAll('input[name="who"]').forEach((radio) =>
    radio.addEventListener("change", () => {
      $("avatar-box").hidden = !usingAvatar();
      $("photo-box").hidden = usingAvatar();
    }));
  $("avatar-make").addEventListener("click", makeAvatar);
  $("avatar-delete").addEventListener("click", deleteAvatar);
  $("avatar").addEventListener("change", () => { $("avatar-delete").hidden = !$("avatar").value; });
  loadAvatars();
})();
