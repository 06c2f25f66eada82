// The web console's only script: the audience's size as the form changes, and the live
// progress of the broadcasts list. The pages work without it.
"use strict";

function showAudienceSize(fieldset) {
  const form = fieldset.closest("form");
  const out = fieldset.querySelector("#audience-size");
  const params = new URLSearchParams();
  for (const name of ["ward", "verdict", "status", "channel"]) {
    const field = form.elements[name];
    if (field && field.value) params.set(name, field.value);
  }
  fetch(fieldset.dataset.audienceUrl + "?" + params.toString(), { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      if (data.problem) { out.textContent = data.problem; return; }
      const n = (x) => x.toLocaleString("vi-VN");
      out.textContent = "Sẽ gửi cho " + n(data.recipients) + " người" +
        (data.skipped ? "; " + n(data.skipped) + " người hiện không nhắn tới được." : ".");
    })
    .catch(() => { out.textContent = ""; });
}

function refreshProgress(table) {
  fetch(table.dataset.progressUrl, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      let running = false;
      for (const row of table.querySelectorAll("tbody tr[data-id]")) {
        const item = data[row.dataset.id];
        if (!item) continue;
        if (item.status === "scheduled" || item.status === "sending") running = true;
        if (item.recipients) {
          const o = item.outcomes;
          const n = (x) => (x || 0).toLocaleString("vi-VN");
          row.querySelector(".progress").textContent = n(item.done) + "/" + n(item.recipients) +
            " đã xử lý: " + n(o.sent) + " đã đến, " + n(o.failed) + " lỗi, " + n(o.blocked) +
            " bị chặn, " + n(o.unknown) + " chưa rõ";
        }
      }
      if (running) setTimeout(() => refreshProgress(table), 5000);
    })
    .catch(() => setTimeout(() => refreshProgress(table), 15000));
}

document.addEventListener("DOMContentLoaded", () => {
  const fieldset = document.querySelector("fieldset[data-audience-url]");
  if (fieldset) {
    fieldset.addEventListener("change", () => showAudienceSize(fieldset));
    showAudienceSize(fieldset);
  }
  const table = document.querySelector("table[data-progress-url]");
  if (table) setTimeout(() => refreshProgress(table), 5000);
});
