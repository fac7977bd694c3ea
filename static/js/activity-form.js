// Live points preview and a submit button that cannot be clicked twice.
// The server computes the estimate, so this file holds no rule of its own.
(function () {
  const form = document.getElementById("activity-form");
  if (!form) return;
  const output = document.getElementById("points-estimate");
  const fields = ["occurred_on", "quantity"].map((name) => form.elements[name]);
  let timer = null;

  async function refresh() {
    // A visit is one: its form has no quantity field, only data-quantity.
    const [day, quantity] = fields.map((field) => field && field.value);
    const amount = quantity || form.dataset.quantity;
    if (!day || !amount) { output.textContent = ""; return; }
    const params = new URLSearchParams({ category: form.dataset.category, occurred_on: day, quantity: amount });
    try {
      const response = await fetch(form.dataset.estimateUrl + "?" + params, { credentials: "same-origin" });
      const data = await response.json();
      output.textContent = response.ok ? (output.dataset.template || "≈ {points}").replace("{points}", data.points) : "";
    } catch (error) {
      output.textContent = "";
    }
  }

  fields.forEach((field) => field && field.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }));
  refresh();

  form.addEventListener("submit", () => {
    form.querySelectorAll("[data-once]").forEach((button) => {
      // Disable after the browser has taken the click, so the form still posts.
      setTimeout(() => { button.disabled = true; }, 0);
    });
  });
})();
