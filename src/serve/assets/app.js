// triage's pages: search as you type, and diagnose without leaving the
// page. Plain JavaScript, served from the binary; every text goes into the
// page as text (textContent), never as markup.
"use strict";

(function () {
  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) {
      node.append(child);
    }
    return node;
  }

  function articleHref(id) {
    return "/articles/" + encodeURIComponent(id);
  }

  // ------------------------------------------------------------ search
  const input = document.getElementById("q");
  const results = document.getElementById("results");
  const status = document.getElementById("search-status");
  if (input && results && status) {
    // The confidence thresholds are the server's (see confidence.rs).
    const d = results.dataset;
    const limit = Number(d.limit);
    const strongScore = Number(d.strongScore);
    const strongLead = Number(d.strongLead);
    const possibleScore = Number(d.possibleScore);
    const possibleShare = Number(d.possibleShare);
    const ownPrefix = d.ownPrefix || null;

    const words = function (scores, rank) {
      const score = scores[rank];
      const second = scores.length > 1 ? scores[1] : 0;
      if (rank === 0 && score >= strongScore && score >= strongLead * second) {
        return ["strong match", "strong"];
      }
      if (score >= possibleScore && score >= possibleShare * scores[0]) {
        return ["possible match", "possible"];
      }
      return ["weak match", "weak"];
    };

    const render = function (list) {
      const scores = list.map((r) => r.score);
      results.replaceChildren(
        ...list.map(function (r, rank) {
          const [word, cls] = words(scores, rank);
          const meta = el("p", { className: "meta" }, [
            el("span", { className: "id", textContent: r.id }),
          ]);
          const external =
            /^https?:\/\//i.test(r.link) && !(ownPrefix && r.link.startsWith(ownPrefix));
          if (external) {
            meta.append(" · ", el("a", { href: r.link, rel: "noopener noreferrer", textContent: "source" }));
          }
          if (r.also.length) {
            meta.append(" · also published as ");
            r.also.forEach(function (id, i) {
              if (i > 0) meta.append(", ");
              meta.append(el("a", { href: articleHref(id), textContent: id }));
            });
          }
          const item = el("li", { className: "result" }, [
            el("div", { className: "head" }, [
              el("a", { className: "title", href: articleHref(r.id), textContent: r.title }),
              el("span", { className: "badge " + cls, textContent: word }),
            ]),
          ]);
          if (r.snippet) item.append(el("p", { className: "snippet", textContent: r.snippet }));
          item.append(meta);
          return item;
        })
      );
      status.textContent =
        list.length === 0 ? "No article matches." : list.length + (list.length === 1 ? " result" : " results");
    };

    let timer = 0;
    let pending = null;
    const run = async function () {
      const q = input.value.trim();
      history.replaceState(null, "", q ? "/search?q=" + encodeURIComponent(q) : "/");
      if (pending) pending.abort();
      if (!q) {
        results.replaceChildren();
        status.textContent = "";
        return;
      }
      pending = new AbortController();
      try {
        const url = "/api/search?limit=" + limit + "&q=" + encodeURIComponent(q);
        const response = await fetch(url, { signal: pending.signal });
        const body = await response.json();
        if (!response.ok) {
          results.replaceChildren();
          status.textContent = body.error || "Search failed.";
          return;
        }
        render(body.results);
      } catch (e) {
        if (e.name !== "AbortError") status.textContent = "Search failed: " + e.message;
      }
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    });
  }

  // ------------------------------------------------------------ diagnose
  const form = document.getElementById("diagnose-form");
  if (form) {
    const text = document.getElementById("log-text");
    const picker = document.getElementById("log-file");
    const busy = document.getElementById("diagnose-status");
    let dropped = null;

    text.addEventListener("dragover", function (e) {
      e.preventDefault();
      text.classList.add("over");
    });
    text.addEventListener("dragleave", function () {
      text.classList.remove("over");
    });
    text.addEventListener("drop", function (e) {
      e.preventDefault();
      text.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        dropped = e.dataTransfer.files[0];
        busy.textContent = "File: " + dropped.name;
      }
    });
    picker.addEventListener("change", function () {
      dropped = null;
      busy.textContent = picker.files.length ? "File: " + picker.files[0].name : "";
    });
    text.addEventListener("input", function () {
      dropped = null;
      picker.value = "";
      busy.textContent = "";
    });

    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      const file = dropped || (picker.files.length ? picker.files[0] : null);
      const body = file || text.value;
      busy.textContent = "Reading the log…";
      try {
        // The log goes as it is (a .gz file too): the server reads it as
        // triage diagnose reads a file, and answers with the page.
        const response = await fetch("/diagnose", {
          method: "POST",
          headers: { "Content-Type": file ? "application/octet-stream" : "text/plain; charset=utf-8" },
          body: body,
        });
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("diagnosis");
        const current = document.getElementById("diagnosis");
        if (fresh && current) {
          current.replaceWith(document.adoptNode(fresh));
          fresh.scrollIntoView({ block: "start" });
        }
        busy.textContent = "";
      } catch (err) {
        busy.textContent = "Diagnose failed: " + err.message;
      }
    });
  }
})();
