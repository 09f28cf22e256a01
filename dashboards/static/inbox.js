// The inbox's keyboard and in-place actions. Without it every button still works as a plain form POST.
(function () {
  "use strict";
  let current = 0;

  function rows() { return Array.from(document.querySelectorAll("tr.reply")); }

  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("current", i === current));
    all[current].scrollIntoView({ block: "nearest" });
  }

  function say(text) { document.getElementById("inbox-message").textContent = text; }

  async function refresh() {
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("inbox");
    const message = document.getElementById("inbox-message").textContent;
    document.getElementById("inbox").replaceWith(fresh);
    say(message);
    select(current);
  }

  async function submit(form, submitter) {
    const body = new URLSearchParams(new FormData(form, submitter));
    const response = await fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/json" } });
    let answer;
    try { answer = await response.json(); } catch (e) { answer = { message: "refused (" + response.status + ")" }; }
    say(answer.message);
    await refresh();
    document.body.dataset.actions = String(Number(document.body.dataset.actions || 0) + 1);  // done: tests wait on it
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form.act")) return;
    event.preventDefault();
    const row = form.closest("tr.reply");
    if (row) current = rows().indexOf(row);
    submit(form, event.submitter);
  });

  document.addEventListener("toggle", async (event) => {
    const details = event.target;
    if (!details.matches || !details.matches("details.thread") || !details.open || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    const box = details.querySelector("div");
    const replies = await (await fetch(details.dataset.thread, { headers: { Accept: "application/json" } })).json();
    for (const reply of replies) {
      const item = document.createElement("div");
      item.className = "thread-item" + (reply.self ? " self" : "");
      item.textContent = (reply.author || "?") + " · " + reply.when + " · " + (reply.sentiment || "unscored") + ": " + reply.text;
      box.appendChild(item);
    }
  }, true);

  function press(key) {
    const row = rows()[current];
    const scope = key === "z" ? document : row;
    if (!scope) return false;
    const target = scope.querySelector('[data-key="' + key + '"]');
    if (!target) return false;
    if (target.tagName === "INPUT") { target.focus(); target.select(); } else { target.click(); }
    return true;
  }

  document.addEventListener("keydown", (event) => {
    const typing = event.target.matches && event.target.matches("input, select, textarea");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      if (event.key === "Enter" && event.target.form && event.target.form.matches("form.act")) {
        event.preventDefault();
        event.target.form.requestSubmit(event.target.form.querySelector("button"));
        event.target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") select(current + 1);
    else if (event.key === "k") select(current - 1);
    else if (event.key === "t") { const d = rows()[current] && rows()[current].querySelector("details"); if (d) d.open = !d.open; }
    else if (!press(event.key)) return;
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => select(0));
})();
