// Makes large photos smaller in the browser before they are uploaded.
//
// A phone photo of 8-20 MB is over the upload limit and slow on a campus
// network; the server would scale it down anyway (activities/evidence.py).
// Each image over THRESHOLD bytes is drawn on a canvas at most MAX_EDGE
// pixels long and encoded as JPEG. The camera's EXIF block is carried over
// (the server reads the day the photo was taken from it, then drops it),
// with its orientation set to "upright", since the canvas already turned the
// pixels. The original is kept when compressing does not make it smaller or
// the browser cannot do it; the server's limits still apply.
(function () {
  const THRESHOLD = 1.5 * 1024 * 1024;
  const MAX_EDGE = 2000;
  const QUALITY = 0.85;
  const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];

  // The APP1 "Exif" segment of a JPEG (marker included), or null.
  function exifSegment(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 4 || view.getUint16(0) !== 0xffd8) return null;
    let offset = 2;
    while (offset + 4 <= bytes.length) {
      const marker = view.getUint16(offset);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      const size = view.getUint16(offset + 2);
      const isExif = marker === 0xffe1 && String.fromCharCode(...bytes.subarray(offset + 4, offset + 8)) === "Exif";
      if (isExif) return bytes.slice(offset, offset + 2 + size);
      offset += 2 + size;
    }
    return null;
  }

  // Sets the Orientation tag (0x0112) of IFD0 to 1 in an Exif segment.
  function markUpright(segment) {
    const tiff = 10; // marker (2), length (2), "Exif\0\0" (6)
    const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
    try {
      const little = view.getUint16(tiff) === 0x4949;
      const ifd = tiff + view.getUint32(tiff + 4, little);
      const count = view.getUint16(ifd, little);
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        if (view.getUint16(entry, little) === 0x0112) view.setUint16(entry + 8, 1, little);
      }
    } catch (error) {
      return null; // a damaged block is not carried over
    }
    return segment;
  }

  async function decode(file) {
    if (window.createImageBitmap) {
      try {
        return await createImageBitmap(file, { imageOrientation: "from-image" });
      } catch (error) { /* fall back to an <img> below */ }
    }
    const url = URL.createObjectURL(file);
    try {
      const image = new Image();
      image.src = url;
      await image.decode();
      return image;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async function compress(file) {
    if (!IMAGE_TYPES.includes(file.type) || file.size <= THRESHOLD) return file;
    const picture = await decode(file);
    const width = picture.width || picture.naturalWidth;
    const height = picture.height || picture.naturalHeight;
    const scale = Math.min(1, MAX_EDGE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
    if (picture.close) picture.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    if (!blob || blob.size >= file.size) return file;
    let parts = [blob];
    if (file.type === "image/jpeg") {
      const head = new Uint8Array(await file.slice(0, 128 * 1024).arrayBuffer());
      const exif = exifSegment(head);
      const upright = exif && markUpright(exif);
      if (upright) parts = [blob.slice(0, 2), upright, blob.slice(2)];
    }
    const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
    return new File(parts, name, { type: "image/jpeg", lastModified: file.lastModified });
  }

  function watch(input) {
    const form = input.form;
    const status = document.getElementById(input.dataset.compressStatus);
    let pending = null;

    input.addEventListener("change", () => {
      const files = Array.from(input.files || []);
      if (!files.some((file) => IMAGE_TYPES.includes(file.type) && file.size > THRESHOLD)) return;
      if (status) status.textContent = input.dataset.compressing || "";
      pending = Promise.all(files.map((file) => compress(file).catch(() => file)))
        .then((smaller) => {
          // DataTransfer is how a script may set a file input's files.
          const chosen = new DataTransfer();
          smaller.forEach((file) => chosen.items.add(file));
          input.files = chosen.files;
        })
        .catch(() => { /* keep what was chosen */ })
        .finally(() => {
          pending = null;
          if (status) status.textContent = "";
          input.dispatchEvent(new CustomEvent("photos-ready", { bubbles: true }));
        });
    });

    // A form sent while photos are still being made smaller waits for them.
    if (form) {
      form.addEventListener("submit", (event) => {
        if (!pending) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        const submitter = event.submitter;
        pending.then(() => form.requestSubmit(submitter || undefined));
      }, true);
    }
  }

  document.querySelectorAll("input[type=file][data-compress]").forEach(watch);
})();
