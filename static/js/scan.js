// The committee's scanner: the phone's camera reads members' personal QR codes.
// The browser's BarcodeDetector where it has one, else jsQR (static/vendor/jsqr).
// Each decoded text is sent with the page's form (and its CSRF token); the
// server decides and answers with the member's name or why it refused, and
// the camera keeps running. Without this file the form still works by hand.
(function () {
  "use strict";
  const form = document.getElementById("scan-form");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  const start = document.getElementById("scan-start");
  if (!form || !video || !status || !start) return;
  const input = form.elements["code"];
  // The same code seen again within this many ms is not sent again.
  const REPEAT_MS = 4000;
  // Frames read per second: enough to feel instant, light on a phone battery.
  const FRAME_MS = 150;
  // jsQR reads a frame scaled down to at most this width.
  const MAX_WIDTH = 640;
  let busy = false;
  let lastText = "";
  let lastAt = 0;

  function show(message, ok) {
    status.textContent = message;
    status.className = "alert " + (ok ? "alert-success" : "alert-danger");
    status.hidden = false;
  }

  async function send(text) {
    busy = true;
    const data = new FormData(form);
    data.set("code", text);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      show(answer.message, answer.ok);
    } catch (error) {
      show(form.dataset.failed, false);
    } finally {
      busy = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send(text);
  });

  function seen(text) {
    const now = Date.now();
    if (busy || (text === lastText && now - lastAt < REPEAT_MS)) return;
    lastText = text;
    lastAt = now;
    send(text);
  }

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch (error) {
      return null;
    }
  }

  function readWithJsQR(canvas, context) {
    if (typeof window.jsQR !== "function" || !video.videoWidth) return null;
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return found ? found.data : null;
  }

  async function run() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      show(form.dataset.noCamera, false);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = await nativeDetector();
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    async function tick() {
      if (video.readyState >= 2) {
        try {
          if (detector) {
            const codes = await detector.detect(video);
            if (codes.length) seen(codes[0].rawValue);
          } else {
            const text = readWithJsQR(canvas, context);
            if (text) seen(text);
          }
        } catch (error) {
          // A frame that cannot be read: try the next one.
        }
      }
      setTimeout(tick, FRAME_MS);
    }
    tick();
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    start.hidden = false;
    start.addEventListener("click", () => {
      start.hidden = true;
      run();
    });
  } else {
    show(form.dataset.noCamera, false);
  }
})();
