/* Sortable tables: click a header of a table.sortable. Cells may carry data-v (sort value). */
(function () {
  function key(td) {
    if (!td) return "";
    var v = td.getAttribute("data-v");
    if (v === null) v = td.textContent.trim();
    var n = parseFloat(v);
    return (v !== "" && !isNaN(n) && /^-?[0-9.]+$/.test(v)) ? n : v.toLowerCase();
  }
  function sortBy(table, th, idx) {
    var asc = !th.classList.contains("asc");
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(asc ? "asc" : "desc");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[idx]), y = key(b.cells[idx]);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    Array.prototype.forEach.call(head.cells, function (th, idx) {
      th.addEventListener("click", function () { sortBy(table, th, idx); });
    });
  });
})();
