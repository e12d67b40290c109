// The web edition's only script: the index's search, filter and sorting. Without it the
// index still lists every code; served as files (file://), the list is filtered and
// sorted, but the full-text search, which fetches its index, needs a web server.
(() => {
  "use strict";
  const root = new URL("..", document.currentScript.src);
  const table = document.getElementById("codes");
  const box = document.getElementById("q");
  if (!table || !box) return;
  const rows = Array.from(table.tBodies[0].rows);
  const system = document.getElementById("system");
  const status = document.getElementById("search-status");
  const found = document.getElementById("found");
  const list = document.getElementById("search-results");
  let pagefind = null;

  const plain = (html) => new DOMParser().parseFromString(html, "text/html").body.textContent;
  const words = (text) => text.toLowerCase().split(/\s+/).filter(Boolean);

  async function loadIndex() {
    if (pagefind === null) {
      pagefind = import(new URL("pagefind/pagefind.js", root).href).then(async (module) => {
        await module.options({ baseUrl: root.pathname });
        await module.init();
        return module;
      });
    }
    return pagefind;
  }

  function filter() {
    const wanted = words(box.value);
    const chosen = system.value;
    let shown = 0;
    for (const row of rows) {
      const text = row.textContent.toLowerCase();
      const show = (!chosen || row.dataset.system === chosen) && wanted.every((w) => text.includes(w));
      row.hidden = !show;
      shown += show;
    }
    return shown;
  }

  async function search() {
    const shown = filter();
    const query = box.value.trim();
    const listed = `${shown} of ${rows.length} codes listed`;
    if (!query) {
      found.hidden = true;
      status.textContent = system.value ? listed : "";
      return;
    }
    let results;
    try {
      const index = await loadIndex();
      const answer = await index.debouncedSearch(query, {}, 150);
      if (answer === null) return; // a later keystroke's search replaces it
      results = await Promise.all(answer.results.slice(0, 30).map((r) => r.data()));
    } catch (error) {
      status.textContent = `${listed}. The full-text search needs the site served by a web server.`;
      return;
    }
    if (query !== box.value.trim()) return;
    list.replaceChildren(
      ...results.map((data) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = data.url;
        link.textContent = data.meta.title || data.url;
        const excerpt = document.createElement("p");
        excerpt.textContent = plain(data.excerpt);
        item.append(link, excerpt);
        return item;
      }),
    );
    found.hidden = results.length === 0;
    const pages = `${results.length} page${results.length === 1 ? "" : "s"}`;
    status.textContent = `${listed}; the text of ${pages} matches “${query}”.`;
  }

  function sortBy(head) {
    const key = head.dataset.sort;
    const order = head.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
    head.setAttribute("aria-sort", order);
    const sign = order === "ascending" ? 1 : -1;
    rows.sort((a, b) => sign * a.dataset[key].localeCompare(b.dataset[key], undefined, { numeric: true }));
    table.tBodies[0].append(...rows);
  }

  for (const head of table.tHead.rows[0].cells) {
    if (!head.dataset.sort) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = head.textContent;
    button.addEventListener("click", () => sortBy(head));
    head.replaceChildren(button);
  }
  box.closest("form").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  box.addEventListener("input", search);
  system.addEventListener("change", search);
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    box.value = asked;
    search();
  }
})();
