// The report's behaviour: pan and zoom the graph, find packages, fold
// subtrees, show why a package is there, sort and filter the table. It
// reads only this page; it loads nothing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var view = document.getElementById("graph-view");
  var svg = view.querySelector("svg");
  var graph0 = svg.querySelector("g.graph");
  var byId = {}, children = {}, depth = {}, collapsed = {}, depthLimit = 0;
  data.nodes.forEach(function (n) {
    byId[n.id] = n;
    if (n.parent) (children[n.parent] = children[n.parent] || []).push(n.id);
  });
  function nodeEl(id) { return document.getElementById("n:" + id); }
  function whyEl(id) { var n = byId[id]; return n && n.parent ? document.getElementById("e:" + n.parent + ">" + id) : null; }
  // Depth in the why tree; packages with no why edge (requested, or
  // upgrades the baseline forced) are roots.
  var queue = data.nodes.filter(function (n) { return !n.parent || !byId[n.parent]; }).map(function (n) { depth[n.id] = 0; return n.id; });
  while (queue.length) {
    var id = queue.shift();
    (children[id] || []).forEach(function (c) { if (!(c in depth)) { depth[c] = depth[id] + 1; queue.push(c); } });
  }

  // Pan and zoom by moving the viewBox, kept at the view's aspect ratio.
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  var full = svg.viewBox.baseVal, base = { x: full.x, y: full.y, w: full.width, h: full.height }, vb;
  // The minimap shows the whole picture and where the view is in it; it is
  // shown when the whole picture does not fit the view legibly.
  var mini = document.getElementById("minimap"), miniSvg = mini.querySelector("svg"), miniRect = mini.querySelector("rect");
  miniSvg.setAttribute("viewBox", [base.x, base.y, base.w, base.h].join(" "));
  miniSvg.setAttribute("preserveAspectRatio", "none");
  function setVB(b) {
    vb = b;
    svg.setAttribute("viewBox", [b.x, b.y, b.w, b.h].join(" "));
    miniRect.setAttribute("x", b.x); miniRect.setAttribute("y", b.y);
    miniRect.setAttribute("width", b.w); miniRect.setAttribute("height", b.h);
  }
  function large() { return base.w > view.clientWidth * 4 || base.h > view.clientHeight * 4; }
  function placeMinimap() {
    mini.hidden = !large();
    mini.style.width = "calc(100% - 1em)";
    mini.style.height = Math.max(24, Math.min(120, (view.clientWidth - 16) * base.h / base.w)) + "px";
  }
  mini.addEventListener("click", function (e) {
    var r = miniSvg.getBoundingClientRect();
    var x = base.x + (e.clientX - r.left) / r.width * base.w, y = base.y + (e.clientY - r.top) / r.height * base.h;
    setVB({ x: x - vb.w / 2, y: y - vb.h / 2, w: vb.w, h: vb.h });
  });
  function aspect() { return (view.clientWidth || 1) / (view.clientHeight || 1); }
  function fitBox(x, y, w, h) {
    var a = aspect();
    if (w / h < a) { var nw = h * a; x -= (nw - w) / 2; w = nw; } else { var nh = w / a; y -= (nh - h) / 2; h = nh; }
    setVB({ x: x, y: y, w: w, h: h });
  }
  function fit() { fitBox(base.x, base.y, base.w, base.h); }
  function toSVG(cx, cy) {
    var r = view.getBoundingClientRect();
    return { x: vb.x + (cx - r.left) / r.width * vb.w, y: vb.y + (cy - r.top) / r.height * vb.h };
  }
  function zoom(k, cx, cy) {
    var p = cx === undefined ? { x: vb.x + vb.w / 2, y: vb.y + vb.h / 2 } : toSVG(cx, cy);
    var w = Math.min(Math.max(vb.w / k, 40), base.w * 4);
    k = vb.w / w;
    setVB({ x: p.x - (p.x - vb.x) / k, y: p.y - (p.y - vb.y) / k, w: w, h: vb.h / k });
  }
  view.addEventListener("wheel", function (e) { e.preventDefault(); zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX, e.clientY); }, { passive: false });
  var drag = null;
  view.addEventListener("mousedown", function (e) { drag = { x: e.clientX, y: e.clientY, vb: vb, moved: false }; view.classList.add("dragging"); });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var r = view.getBoundingClientRect(), dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    setVB({ x: drag.vb.x - dx / r.width * drag.vb.w, y: drag.vb.y - dy / r.height * drag.vb.h, w: drag.vb.w, h: drag.vb.h });
  });
  window.addEventListener("mouseup", function () { view.classList.remove("dragging"); setTimeout(function () { drag = null; }, 0); });
  document.getElementById("zoom-in").onclick = function () { zoom(1.5); };
  document.getElementById("zoom-out").onclick = function () { zoom(1 / 1.5); };
  document.getElementById("zoom-fit").onclick = fit;
  window.addEventListener("resize", function () { placeMinimap(); start(); });
  // The first view: the whole picture, or for a picture too wide or tall
  // to read whole, its full height (or width) around the first requested
  // package, with the minimap to find the rest.
  function start() {
    var first = data.nodes.filter(function (n) { return n.requested; })[0] || data.nodes[0], el = first && nodeEl(first.id);
    if (!large() || !el) { fit(); return; }
    var b = boxOf(el), cx = b.x + b.w / 2, cy = b.y + b.h / 2;
    if (base.w / base.h > aspect()) {
      var h = Math.min(base.h, 1500), w = h * aspect();
      setVB({ x: Math.max(base.x, cx - w / 2), y: base.y, w: w, h: h });
    } else {
      var w2 = Math.min(base.w, 2500), h2 = w2 / aspect();
      setVB({ x: base.x, y: Math.max(base.y, cy - h2 / 2), w: w2, h: h2 });
    }
  }

  // A node's box in viewBox coordinates: dot puts every node inside one
  // group whose transform moves the picture into the positive quadrant.
  function boxOf(el) {
    var b = el.getBBox(), m = graph0.transform.baseVal.consolidate();
    m = m ? m.matrix : svg.createSVGMatrix();
    return { x: m.a * b.x + m.e, y: m.d * b.y + m.f, w: b.width * m.a, h: b.height * m.d };
  }
  function zoomTo(id) {
    var el = nodeEl(id);
    if (!el) return;
    var b = boxOf(el), w = Math.max(b.w * 6, 600), h = w / aspect();
    fitBox(b.x + b.w / 2 - w / 2, b.y + b.h / 2 - h / 2, w, h);
  }

  // Visibility: a depth limit and folded subtrees.
  function hiddenNow(id) {
    if (depthLimit > 0 && depth[id] > depthLimit) return true;
    for (var p = byId[id].parent; p && byId[p]; p = byId[p].parent) if (collapsed[p]) return true;
    return false;
  }
  function applyVisibility() {
    data.nodes.forEach(function (n) {
      var hide = hiddenNow(n.id), el = nodeEl(n.id), e = whyEl(n.id);
      if (el) el.classList.toggle("hidden", hide);
      if (e) e.classList.toggle("hidden", hide);
    });
    Object.keys(byId).forEach(function (id) { var el = nodeEl(id); if (el) el.classList.toggle("collapsed", !!collapsed[id]); });
  }
  function reveal(id) {
    for (var p = byId[id].parent; p && byId[p]; p = byId[p].parent) delete collapsed[p];
    if (depthLimit > 0 && depth[id] > depthLimit) { depthLimit = 0; document.getElementById("depth").value = "0"; }
    applyVisibility();
  }
  document.getElementById("depth").onchange = function (e) { depthLimit = +e.target.value; applyVisibility(); };
  document.getElementById("expand-all").onclick = function () { collapsed = {}; depthLimit = 0; document.getElementById("depth").value = "0"; applyVisibility(); };

  // Details: why a package is here, as the chain from a requested package.
  var details = document.getElementById("details"), selected = null;
  function clearSelection() {
    svg.querySelectorAll(".selected, .chain").forEach(function (el) { el.classList.remove("selected", "chain"); });
    document.querySelectorAll("#pkg-table tr.selected").forEach(function (tr) { tr.classList.remove("selected"); });
  }
  function select(id, jump) {
    if (!byId[id]) return;
    clearSelection();
    selected = id;
    reveal(id);
    var el = nodeEl(id);
    if (el) el.classList.add("selected");
    var chain = [];
    for (var at = id; byId[at] && byId[at].parent && chain.length < 200; at = byId[at].parent) {
      var e = whyEl(at);
      if (e) e.classList.add("chain");
      chain.unshift(byId[at].parent + " requires " + byId[at].req);
    }
    document.getElementById("details-title").textContent = id;
    document.getElementById("details-reason").textContent = byId[id].reason;
    var ol = document.getElementById("details-chain");
    ol.textContent = "";
    chain.forEach(function (line) { var li = document.createElement("li"); li.textContent = line; ol.appendChild(li); });
    var below = (children[id] || []).length;
    var btn = document.getElementById("details-collapse");
    btn.hidden = below === 0;
    btn.textContent = collapsed[id] ? "unfold what hangs below" : "fold the " + below + " package(s) hanging below";
    details.hidden = false;
    var tr = document.querySelector('#pkg-table tr[data-nevra="' + CSS.escape(id) + '"]');
    if (tr) tr.classList.add("selected");
    if (jump) zoomTo(id);
  }
  document.getElementById("details-close").onclick = function () { details.hidden = true; clearSelection(); };
  document.getElementById("details-collapse").onclick = function () {
    if (!selected) return;
    if (collapsed[selected]) delete collapsed[selected]; else collapsed[selected] = true;
    applyVisibility();
    select(selected, false);
  };
  svg.addEventListener("click", function (e) {
    if (drag && drag.moved) return;
    var g = e.target.closest("g.node.pkg");
    if (g) select(g.id.slice(2), false);
  });

  // Search in the graph.
  var search = document.getElementById("graph-search"), hits = [], hitAt = -1;
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    svg.querySelectorAll("g.node.hit").forEach(function (el) { el.classList.remove("hit"); });
    hits = q ? data.nodes.filter(function (n) { return n.id.toLowerCase().indexOf(q) >= 0; }).map(function (n) { return n.id; }) : [];
    hits.forEach(function (id) { var el = nodeEl(id); if (el) el.classList.add("hit"); });
    svg.classList.toggle("searching", q !== "");
    document.getElementById("search-count").textContent = q ? hits.length + " found" : "";
    hitAt = -1;
  });
  search.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !hits.length) return;
    hitAt = (hitAt + 1) % hits.length;
    select(hits[hitAt], true);
  });

  // The table: sort by a column, filter rows.
  var table = document.getElementById("pkg-table"), tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var count = document.getElementById("row-count");
  function showCount(n) { count.textContent = n + " of " + rows.length + " packages"; }
  table.tHead.addEventListener("click", function (e) {
    var th = e.target.closest("th");
    if (!th) return;
    var col = th.cellIndex, num = th.hasAttribute("data-num"), dir = th.classList.contains("asc") ? -1 : 1;
    table.tHead.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
    th.classList.add(dir > 0 ? "asc" : "desc");
    function key(tr) { var td = tr.cells[col]; return num ? +td.getAttribute("data-v") : td.textContent.toLowerCase(); }
    rows.sort(function (a, b) { var x = key(a), y = key(b); return x < y ? -dir : x > y ? dir : 0; });
    var frag = document.createDocumentFragment();
    rows.forEach(function (tr) { frag.appendChild(tr); });
    tbody.appendChild(frag);
  });
  var filter = document.getElementById("table-filter");
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (tr) { var show = !q || tr.textContent.toLowerCase().indexOf(q) >= 0; tr.hidden = !show; if (show) n++; });
    showCount(n);
  });
  tbody.addEventListener("click", function (e) {
    var tr = e.target.closest("tr");
    if (!tr) return;
    select(tr.getAttribute("data-nevra"), true);
    view.scrollIntoView({ behavior: "smooth", block: "center" });
  });
  showCount(rows.length);

  placeMinimap();
  start();
  applyVisibility();
  // Timing for make bench: from navigation start to a laid-out page.
  void document.body.offsetHeight;
  document.body.setAttribute("data-render-ms", Math.round(performance.now()));
  document.body.setAttribute("data-ready", "1");
  // The minimap draws the whole picture a second time: it comes after the
  // page is shown (measured: it would add a third to a large page's first
  // layout), and only when the picture is too large to read whole.
  if (large()) setTimeout(function () {
    var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#graph0");
    miniSvg.insertBefore(use, miniRect);
  }, 0);
})();
