// DAB lineage graph: a left-to-right layered drawing of a lineage neighbourhood, in SVG.
// Our own code, no libraries. Layout in the Sugiyama style:
//   1. break cycles (depth-first search; back edges are laid out reversed),
//   2. layer by longest path, then pull each source next to its first consumer,
//   3. split edges longer than one layer with invisible dummy nodes,
//   4. order each layer by barycentre sweeps (down, then up), keeping the order with fewest crossings,
//   5. place nodes vertically near their neighbours (blocks of overlapping nodes share a mean position),
//   6. route edges as horizontal cubic curves through their dummies.
// Interaction: click a node to open it, "+" handles expand one level upstream or downstream, drag or arrow
// keys pan, the wheel or +/- zoom, 0 fits; a Columns mode draws which columns feed which.
(function () {
  "use strict";
  if (window.DabLineage) { window.DabLineage.mountAll(); return; }

  var SVG = "http://www.w3.org/2000/svg";
  var NODE_W = 220, NODE_H = 48, COL_W = 240, HEAD_H = 42, ROW_H = 19, GAP_X = 96, GAP_Y = 16;
  var DUMMY_H = 6, MAX_ROWS = 40;
  // The smallest scale a fit chooses on its own: node titles stay about 9 px high. Below it the view centres
  // on the focus instead (zooming out further is the reader's choice, with the wheel or "−").
  var MIN_LEGIBLE = 0.7;
  var TX_CLASS = { direct: "tx-direct", renamed: "tx-direct", cast: "tx-derived", derived: "tx-derived",
                   aggregated: "tx-aggregated", hashed: "tx-hashed" };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function html(name, attrs, text) {
    var node = document.createElement(name);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function clip(text, max) { text = String(text || ""); return text.length > max ? text.slice(0, max - 1) + "…" : text; }
  // Shorten a text element's content (with an ellipsis) until it fits ``width`` user units, measured.
  function fitText(node, text, width) {
    node.textContent = text;
    if (!node.getComputedTextLength || node.getComputedTextLength() <= width) { return; }
    var keep = Math.max(3, Math.floor(text.length * width / node.getComputedTextLength()));
    do {
      node.textContent = text.slice(0, keep) + "…";
      keep -= 1;
    } while (keep > 3 && node.getComputedTextLength() > width);
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // ---------------------------------------------------------------------------------------------------
  // Layout (pure: boxes and links in, positions and routes out)

  // boxes: [{id, h, order}], links: [{source, target, sy, ty}] (sy/ty: port offsets from the box top)
  function layout(boxes, links) {
    var byId = {}, succ = {}, pred = {};
    boxes.forEach(function (b) { byId[b.id] = b; succ[b.id] = []; pred[b.id] = []; });
    var pairs = {};
    links.forEach(function (l) {
      if (!byId[l.source] || !byId[l.target] || l.source === l.target) { return; }
      var key = l.source + "\u0000" + l.target;
      if (!pairs[key]) { pairs[key] = true; succ[l.source].push(l.target); pred[l.target].push(l.source); }
    });
    var ids = boxes.slice().sort(function (a, b) { return a.order - b.order; }).map(function (b) { return b.id; });

    // 1. Cycle breaking: edges to a node on the DFS stack are reversed for layering.
    var reversed = {}, state = {};
    ids.forEach(function (start) {
      if (state[start]) { return; }
      var stack = [[start, 0]];
      state[start] = 1;
      while (stack.length) {
        var top = stack[stack.length - 1], v = top[0], next = succ[v][top[1]];
        if (next === undefined) { state[v] = 2; stack.pop(); continue; }
        top[1] += 1;
        if (state[next] === 1) { reversed[v + "\u0000" + next] = true; }
        else if (!state[next]) { state[next] = 1; stack.push([next, 0]); }
      }
    });
    var dsucc = {}, dpred = {};
    ids.forEach(function (v) { dsucc[v] = []; dpred[v] = []; });
    Object.keys(pairs).forEach(function (key) {
      var parts = key.split("\u0000"), a = parts[0], b = parts[1];
      if (reversed[key]) { var t = a; a = b; b = t; }
      if (dsucc[a].indexOf(b) < 0) { dsucc[a].push(b); dpred[b].push(a); }
    });

    // 2. Longest-path layering over a topological order, then sources move up to their consumers.
    var indeg = {}, topo = [], queue = [];
    ids.forEach(function (v) { indeg[v] = dpred[v].length; if (!indeg[v]) { queue.push(v); } });
    while (queue.length) {
      var v = queue.shift();
      topo.push(v);
      dsucc[v].forEach(function (w) { indeg[w] -= 1; if (!indeg[w]) { queue.push(w); } });
    }
    var layer = {};
    topo.forEach(function (v) {
      layer[v] = 0;
      dpred[v].forEach(function (u) { layer[v] = Math.max(layer[v], layer[u] + 1); });
    });
    for (var i = topo.length - 1; i >= 0; i--) {
      var s = topo[i];
      if (!dpred[s].length && dsucc[s].length) {
        layer[s] = Math.min.apply(null, dsucc[s].map(function (w) { return layer[w]; })) - 1;
      }
    }
    var minLayer = Infinity;
    ids.forEach(function (v) { minLayer = Math.min(minLayer, layer[v]); });
    ids.forEach(function (v) { layer[v] -= minLayer; });

    // 3. Dummy nodes on long edges; each laid-out edge becomes a chain of ids.
    var layers = [], heights = {}, chains = {};
    function put(v) { var l = layer[v]; (layers[l] = layers[l] || []).push(v); }
    ids.forEach(function (v) { heights[v] = byId[v].h; put(v); });
    var nsucc = {}, npred = {};
    function link(a, b) { (nsucc[a] = nsucc[a] || []).push(b); (npred[b] = npred[b] || []).push(a); }
    var dummyCount = 0;
    ids.forEach(function (a) {
      dsucc[a].forEach(function (b) {
        var chain = [a], prev = a;
        for (var l = layer[a] + 1; l < layer[b]; l++) {
          var d = "\u0001d" + (dummyCount++);
          layer[d] = l; heights[d] = DUMMY_H; put(d); link(prev, d); chain.push(d); prev = d;
        }
        link(prev, b); chain.push(b);
        chains[a + "\u0000" + b] = chain;
      });
    });
    for (var k = 0; k < layers.length; k++) { layers[k] = layers[k] || []; }

    // 4. Crossing reduction by barycentre sweeps.
    var pos = {};
    function index() { layers.forEach(function (row) { row.forEach(function (v, j) { pos[v] = j; }); }); }
    function crossings() {
      var total = 0;
      for (var l = 0; l + 1 < layers.length; l++) {
        var es = [];
        layers[l].forEach(function (v) { (nsucc[v] || []).forEach(function (w) { es.push([pos[v], pos[w]]); }); });
        es.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
        for (var x = 0; x < es.length; x++) {
          for (var y = x + 1; y < es.length; y++) { if (es[y][0] > es[x][0] && es[y][1] < es[x][1]) { total++; } }
        }
      }
      return total;
    }
    function sweep(l, neighbours) {
      var row = layers[l];
      var score = {};
      row.forEach(function (v) {
        var ns = neighbours[v] || [];
        score[v] = ns.length ? ns.reduce(function (sum, u) { return sum + pos[u]; }, 0) / ns.length : pos[v];
      });
      row.sort(function (a, b) { return score[a] - score[b] || pos[a] - pos[b]; });
      row.forEach(function (v, j) { pos[v] = j; });
    }
    index();
    var best = layers.map(function (row) { return row.slice(); }), bestCount = crossings();
    var iterations = layers.length > 1 && bestCount > 0 ? 10 : 0;
    for (var it = 0; it < iterations && bestCount > 0; it++) {
      if (it % 2 === 0) { for (var d1 = 1; d1 < layers.length; d1++) { sweep(d1, npred); } }
      else { for (var u1 = layers.length - 2; u1 >= 0; u1--) { sweep(u1, nsucc); } }
      var c = crossings();
      if (c < bestCount) { bestCount = c; best = layers.map(function (row) { return row.slice(); }); }
    }
    layers = best;
    index();

    // 5. Vertical placement: stack, then pull towards neighbours' centres a few times.
    var top = {};
    layers.forEach(function (row) {
      var y = 0;
      row.forEach(function (v) { top[v] = y; y += heights[v] + GAP_Y; });
    });
    function centre(v) { return top[v] + heights[v] / 2; }
    function place(row, desired) {
      var blocks = [];
      row.forEach(function (v) {
        var block = { nodes: [v], offsets: [0], height: heights[v], sum: desired[v] - heights[v] / 2, n: 1 };
        block.top = block.sum;
        blocks.push(block);
        while (blocks.length > 1) {
          var a = blocks[blocks.length - 2], b = blocks[blocks.length - 1];
          if (a.top + a.height + GAP_Y <= b.top) { break; }
          var shift = a.height + GAP_Y;
          b.nodes.forEach(function (w, j) { a.nodes.push(w); a.offsets.push(b.offsets[j] + shift); });
          a.sum += b.sum - b.n * shift; a.n += b.n; a.height += GAP_Y + b.height; a.top = a.sum / a.n;
          blocks.pop();
        }
      });
      blocks.forEach(function (b) { b.nodes.forEach(function (w, j) { top[w] = b.top + b.offsets[j]; }); });
    }
    for (var pass = 0; pass < 6; pass++) {
      var down = pass % 2 === 0;
      var order = down ? layers.map(function (_, j) { return j; }) : layers.map(function (_, j) { return layers.length - 1 - j; });
      order.forEach(function (l) {
        var desired = {};
        layers[l].forEach(function (v) {
          var ns = ((down ? npred[v] : nsucc[v]) || []).concat((down ? nsucc[v] : npred[v]) || []);
          desired[v] = ns.length ? ns.reduce(function (sum, u) { return sum + centre(u); }, 0) / ns.length : centre(v);
        });
        place(layers[l], desired);
      });
    }
    var minTop = Infinity;
    Object.keys(top).forEach(function (v) { minTop = Math.min(minTop, top[v]); });
    var out = { layer: layer, top: {}, chains: chains, reversed: reversed, layers: layers.length, crossings: bestCount };
    Object.keys(top).forEach(function (v) { out.top[v] = top[v] - minTop; });
    return out;
  }

  // ---------------------------------------------------------------------------------------------------
  // One widget

  function Widget(root) {
    this.root = root;
    this.graphUrl = root.dataset.graphUrl;
    this.explorerUrl = root.dataset.explorerUrl;
    this.focus = root.dataset.urn;
    this.level = root.dataset.level || "capsule";
    this.upstream = parseInt(root.dataset.upstream || "1", 10);
    this.downstream = parseInt(root.dataset.downstream || "1", 10);
    this.canvas = root.querySelector(".lg-canvas");
    this.status = root.querySelector(".lg-status");
    this.note = root.querySelector(".lg-note");
    this.list = root.querySelector(".lg-list-body");
    this.view = { x: 20, y: 20, k: 1 };
    this.nodes = {};
    this.edges = {};
    this.notes = [];
    this.expansions = [];  // [{urn, side}] in the order the reader expanded, replayed on a change of level
    this.svg = el("svg", { class: "lg-svg", role: "presentation" }, this.canvas);
    var defs = el("defs", null, this.svg);
    var marker = el("marker", { id: root.id + "-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
                                markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "lg-arrow" }, marker);
    this.viewport = el("g", { class: "lg-viewport" }, this.svg);
    this.bindControls();
    this.bindPanZoom();
    var initial = root.dataset.initial && document.getElementById(root.dataset.initial);
    if (initial) { this.replace(JSON.parse(initial.textContent)); }
    else { this.load({ urn: this.focus, upstream: this.upstream, downstream: this.downstream }, true); }
  }

  Widget.prototype.say = function (text) { if (this.status) { this.status.textContent = text; } };

  Widget.prototype.load = function (params, replace, anchor) {
    var self = this;
    var query = new URLSearchParams({ urn: params.urn, upstream: params.upstream, downstream: params.downstream,
                                      level: this.level });
    this.say("Loading…");
    this.root.classList.add("is-loading");
    return fetch(this.graphUrl + "?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("the server answered " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (replace) { self.replace(data); } else { self.merge(data, anchor); }
      })
      .catch(function (error) { self.say("Could not load the lineage: " + error.message); })
      .finally(function () { self.root.classList.remove("is-loading"); });
  };

  Widget.prototype.replace = function (data) {
    this.nodes = {};
    this.edges = {};
    this.notes = [];
    this.level = data.level || this.level;
    this.rootCapsule = data.root_capsule;
    this.rootUrn = data.root;
    this.syncLevelButtons();
    this.merge(data, null, true);
  };

  Widget.prototype.merge = function (data, anchor, fit) {
    var self = this, added = [];
    (data.nodes || []).forEach(function (node) {
      var old = self.nodes[node.id];
      if (old && old.kind === "capsule" && node.kind === "capsule") {
        // A node already drawn keeps what it knew; expansions only add columns and clear "more" flags.
        if (node.columns) {
          var seen = {};
          (old.columns || []).forEach(function (c) { seen[c.urn] = c; });
          node.columns.forEach(function (c) {
            if (seen[c.urn]) {
              seen[c.urn].more_upstream = seen[c.urn].more_upstream && c.more_upstream;
              seen[c.urn].more_downstream = seen[c.urn].more_downstream && c.more_downstream;
            } else { (old.columns = old.columns || []).push(c); }
          });
        }
        old.more_upstream = old.more_upstream && node.more_upstream;
        old.more_downstream = old.more_downstream && node.more_downstream;
      } else if (!old) {
        self.nodes[node.id] = node;
        added.push(node.id);
      }
    });
    (data.edges || []).forEach(function (edge) {
      var key = [edge.source, edge.target, edge.source_column || "", edge.target_column || ""].join("\u0000");
      self.edges[key] = edge;
    });
    if (data.note && this.notes.indexOf(data.note) < 0) { this.notes.push(data.note); }
    var capped = data.depth && ((data.depth.upstream && data.depth.upstream.capped) ||
                                (data.depth.downstream && data.depth.downstream.capped));
    if (capped) { this.notes.push("Depth capped at " + data.depth.downstream.applied + " hops (MAX_LINEAGE_DEPTH)."); }
    this.render(anchor, fit);
    if (anchor) { this.refit([anchor.id].concat(added)); }
  };

  Widget.prototype.expand = function (node, side) {
    var anchor = this.screenPosition(node.id);
    this.expansions.push({ urn: node.id, side: side });
    return this.expandLoad({ urn: node.id, side: side }, anchor);
  };

  Widget.prototype.expandLoad = function (expansion, anchor) {
    var side = expansion.side;
    return this.load({ urn: expansion.urn, upstream: side === "upstream" ? 1 : 0,
                       downstream: side === "downstream" ? 1 : 0 }, false, anchor);
  };

  // A change of level redraws the focus at the new level, then replays the reader's expansions, so the
  // nodes they opened stay on the drawing. Capsules the new level has no place for (an exposure has no
  // columns) stay as plain boxes, joined by their capsule-level edges: consumers never drop out of view.
  Widget.prototype.reloadKeepingExpansions = function () {
    var self = this, expansions = this.expansions.slice();
    var before = { nodes: this.nodes, edges: this.edges };
    return this.load({ urn: this.focus, upstream: this.upstream, downstream: this.downstream }, true)
      .then(function () {
        return expansions.reduce(function (chain, expansion) {
          return chain.then(function () { return self.expandLoad(expansion, null); });
        }, Promise.resolve());
      })
      .then(function () {
        self.expansions = expansions;
        self.keepMissing(before);
        self.render(null, true);
      });
  };

  Widget.prototype.keepMissing = function (before) {
    var self = this, kept = {};
    Object.keys(before.nodes).forEach(function (id) {
      var old = before.nodes[id];
      if (self.nodes[id] || old.kind !== "capsule") { return; }
      var copy = Object.assign({}, old, { columns: [] });
      self.nodes[id] = copy;
      kept[id] = true;
    });
    Object.keys(before.edges).forEach(function (key) {
      var edge = before.edges[key];
      if ((kept[edge.source] || kept[edge.target]) && self.nodes[edge.source] && self.nodes[edge.target]) {
        self.edges[key] = Object.assign({}, edge, { source_column: null, target_column: null });
      }
    });
  };

  // After an expansion: the whole graph when it fits at a legible scale, else what the expansion added.
  Widget.prototype.refit = function (ids) {
    if (this.fitScale() >= MIN_LEGIBLE) { this.fit(false); } else { this.reveal(ids); }
  };

  // -- drawing ---------------------------------------------------------------------------------------

  Widget.prototype.boxSize = function (node) {
    if (this.level === "column" && node.kind === "capsule") {
      var rows = Math.min((node.columns || []).length, MAX_ROWS);
      var extra = (node.columns || []).length > MAX_ROWS ? 1 : 0;
      return { w: COL_W, h: HEAD_H + (rows + extra) * ROW_H + 6 };
    }
    return { w: NODE_W, h: NODE_H };
  };

  Widget.prototype.rowIndex = function (node, columnUrn) {
    var cols = node.columns || [];
    for (var i = 0; i < cols.length && i < MAX_ROWS; i++) { if (cols[i].urn === columnUrn) { return i; } }
    return -1;
  };

  Widget.prototype.render = function (anchor, fit) {
    var self = this;
    var ids = Object.keys(this.nodes);
    var sizes = {};
    var boxes = ids.map(function (id, i) {
      var node = self.nodes[id];
      sizes[id] = self.boxSize(node);
      return { id: id, h: sizes[id].h, order: (node.rank || 0) * 1000 + (node.layer_rank || 0) * 10 + i / 1e4 };
    });
    boxes.sort(function (a, b) { return a.order - b.order || (self.nodes[a.id].name < self.nodes[b.id].name ? -1 : 1); });
    var links = Object.keys(this.edges).map(function (k) { return self.edges[k]; });
    var placed = layout(boxes, links);
    var width = this.level === "column" ? COL_W : NODE_W;
    this.positions = {};
    ids.forEach(function (id) {
      self.positions[id] = { x: placed.layer[id] * (width + GAP_X), y: placed.top[id], w: sizes[id].w, h: sizes[id].h };
    });
    if (this.level === "column") { this.orderRows(links, placed); }
    while (this.viewport.firstChild) { this.viewport.removeChild(this.viewport.firstChild); }
    var edgeLayer = el("g", { class: "lg-edges" }, this.viewport);
    var nodeLayer = el("g", { class: "lg-nodes" }, this.viewport);
    links.forEach(function (edge) { self.drawEdge(edgeLayer, edge, placed, width); });
    var focusId = this.rootCapsule || this.focus;
    boxes.forEach(function (b) { self.drawNode(nodeLayer, self.nodes[b.id], b.id === focusId); });
    this.describe(links);
    if (anchor && anchor.id && this.positions[anchor.id]) {
      var p = this.positions[anchor.id];
      this.view.x = anchor.x - p.x * this.view.k;
      this.view.y = anchor.y - p.y * this.view.k;
      this.apply();
    } else if (fit) {
      this.fit(true);
    } else {
      this.apply();
    }
  };

  // Column mode: rows of each box follow the rows they connect to (fewer crossing lines), boxes handled
  // outward from the focus so each looks at neighbours already ordered; unconnected rows go last by name.
  Widget.prototype.orderRows = function (links, placed) {
    var self = this, focusId = this.rootCapsule || this.focus;
    var ends = {};
    links.forEach(function (e) {
      if (!e.source_column || !e.target_column) { return; }
      (ends[e.target_column] = ends[e.target_column] || []).push([e.source, e.source_column]);
      (ends[e.source_column] = ends[e.source_column] || []).push([e.target, e.target_column]);
    });
    var focusLayer = placed.layer[focusId] || 0;
    Object.keys(this.nodes)
      .filter(function (id) { return id !== focusId && self.nodes[id].columns; })
      .sort(function (a, b) { return Math.abs(placed.layer[a] - focusLayer) - Math.abs(placed.layer[b] - focusLayer); })
      .forEach(function (id) {
        var node = self.nodes[id], score = {};
        node.columns.forEach(function (c, i) {
          var ys = (ends[c.urn] || []).map(function (end) { return self.port(end[0], end[1], "in").y; });
          score[c.urn] = ys.length ? ys.reduce(function (a, b) { return a + b; }, 0) / ys.length : 1e9 + i;
        });
        node.columns.sort(function (a, b) { return score[a.urn] - score[b.urn] || (a.name < b.name ? -1 : 1); });
      });
  };

  Widget.prototype.port = function (id, columnUrn, side) {
    var p = this.positions[id];
    var y = p.y + p.h / 2;
    if (columnUrn && this.level === "column") {
      var row = this.rowIndex(this.nodes[id], columnUrn);
      if (row >= 0) { y = p.y + HEAD_H + row * ROW_H + ROW_H / 2; }
    }
    return { x: side === "out" ? p.x + p.w : p.x, y: y };
  };

  Widget.prototype.drawEdge = function (parent, edge, placed, width) {
    if (!this.positions[edge.source] || !this.positions[edge.target]) { return; }
    var key = edge.source + "\u0000" + edge.target;
    var chain = placed.chains[key], backwards = false;
    if (!chain) { chain = placed.chains[edge.target + "\u0000" + edge.source]; backwards = true; }
    if (!chain) { return; }
    var start = this.port(edge.source, edge.source_column, "out");
    var end = this.port(edge.target, edge.target_column, "in");
    var points = [start];
    var middle = chain.slice(1, -1);
    if (backwards) { middle = middle.slice().reverse(); }
    middle.forEach(function (d) {
      var x = placed.layer[d] * (width + GAP_X), y = placed.top[d] + DUMMY_H / 2;
      if (backwards) { points.push({ x: x + width, y: y }, { x: x, y: y }); }
      else { points.push({ x: x, y: y }, { x: x + width, y: y }); }
    });
    points.push(end);
    var d = "M" + start.x + "," + start.y;
    for (var i = 1; i < points.length; i++) {
      var a = points[i - 1], b = points[i];
      if (i % 2 === 0 && i < points.length - 1) { d += " L" + b.x + "," + b.y; continue; }
      var dx = Math.max(30, Math.abs(b.x - a.x) / 2);
      d += " C" + (a.x + dx) + "," + a.y + " " + (b.x - dx) + "," + b.y + " " + b.x + "," + b.y;
    }
    var kind = edge.transformation_type;
    var cls = "lg-edge" + (kind ? " " + (TX_CLASS[kind] || "tx-derived") : "") + (edge.count > 1 ? " lg-bundle" : "");
    var path = el("path", { d: d, class: cls, "marker-end": "url(#" + this.root.id + "-arrow)",
                            "data-source": edge.source, "data-target": edge.target }, parent);
    if (edge.count > 1) { path.setAttribute("stroke-width", String(Math.min(6, 1.2 + Math.log2(edge.count)))); }
    var from = this.nodes[edge.source] || {}, to = this.nodes[edge.target] || {};
    var title = (from.label || from.name) + (edge.source_column ? "." + edge.source_column.slice(edge.source.length + 1) : "") +
                " → " + (to.label || to.name) + (edge.target_column ? "." + edge.target_column.slice(edge.target.length + 1) : "");
    if (kind) { title += " (" + kind + (edge.expression ? ": " + edge.expression : "") + ")"; }
    if (edge.count > 1) { title += " · " + edge.count + " edges"; }
    el("title", null, path).textContent = title;
  };

  Widget.prototype.drawNode = function (parent, node, isFocus) {
    var self = this, p = this.positions[node.id];
    // node.change (a change report's subgraph): added, removed, renamed, changed or affected, drawn as a mark
    var group = el("g", { class: "lg-node layer-" + (node.layer || "none") + " kind-" + node.kind + (isFocus ? " is-focus" : "") +
                                 (node.change ? " change-" + node.change : ""),
                          transform: "translate(" + p.x + "," + p.y + ")", "data-id": node.id }, parent);
    el("rect", { class: "lg-box", width: p.w, height: p.h, rx: 7, ry: 7 }, group);
    el("rect", { class: "lg-band", width: 7, height: p.h, rx: 3, ry: 3 }, group);
    var bx = p.w - 8;
    if (node.violations) { bx = this.badge(group, bx, String(node.violations), "lg-badge-violation", plural(node.violations, "open violation")); }
    if (node.has_pii) { bx = this.badge(group, bx, "PII", "lg-badge-pii", "holds personal data"); }
    if (node.change) { bx = this.badge(group, bx, node.change, "lg-badge-change", node.change + " by this change"); }
    var name = node.label || node.name;
    var title = el("text", { class: "lg-title", x: 15, y: 19 }, group);
    fitText(title, name, bx - 18);
    var sub = el("text", { class: "lg-sub", x: 15, y: 35 }, group);
    var subtitle = node.kind === "group"
      ? (node.layer || node.type) + " · " + Math.abs(node.rank) + " hop" + (Math.abs(node.rank) === 1 ? "" : "s") + " " + (node.rank < 0 ? "up" : "down")
      : node.type + (node.layer ? " · " + node.layer : "");
    sub.textContent = clip(subtitle, Math.floor((p.w - 20) / 6.2));
    el("title", null, group).textContent = node.kind === "group"
      ? node.name + " grouped: " + (node.members || []).map(function (m) { return m.name; }).join(", ")
      : name + " (" + node.urn + ")";

    var label = node.kind === "group"
      ? node.name + ", grouped. Press Enter to list them."
      : name + ", " + node.type + (node.layer ? " in " + node.layer : "") + (node.change ? ", " + node.change : "") +
        (node.has_pii ? ", holds PII" : "") +
        (node.violations ? ", " + plural(node.violations, "open violation") : "") + ". Press Enter to open.";
    group.setAttribute("tabindex", "0");
    group.setAttribute("role", node.kind === "group" ? "button" : "link");
    group.setAttribute("aria-label", label);
    var open = function () {
      if (node.kind === "group") { self.showGroup(node); return; }
      window.location.href = node.url;
    };
    group.addEventListener("click", function (event) {
      if (self.dragged || event.target.closest(".lg-expand") || event.target.closest(".lg-row")) { return; }
      open();
    });
    group.addEventListener("keydown", function (event) {
      if (event.target === group && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); open(); }
    });
    group.addEventListener("mouseenter", function () { self.highlight(node.id, true); });
    group.addEventListener("mouseleave", function () { self.highlight(node.id, false); });

    if (this.level === "column" && node.kind === "capsule") { this.drawRows(group, node, p); }
    if (node.kind === "capsule") {
      if (node.more_upstream) { this.handle(group, node, "upstream", -11, Math.min(p.h / 2, 24)); }
      if (node.more_downstream) { this.handle(group, node, "downstream", p.w + 11, Math.min(p.h / 2, 24)); }
    }
    // The accessible name opens with the text drawn on the node, as shown (clipped names included), so
    // speech-input users can say what they see (WCAG 2.5.3); the full description follows.
    // A space after each text keeps them apart when the texts are read as one string (SVG draws no space).
    var shown = Array.prototype.map.call(group.querySelectorAll("text"), function (t) {
      t.after(document.createTextNode(" "));
      return t.textContent;
    });
    group.setAttribute("aria-label", shown.join(" ") + " — " + label);
  };

  Widget.prototype.badge = function (group, right, text, cls, title) {
    var w = 8 + text.length * 7;
    var g = el("g", { class: "lg-badge " + cls, transform: "translate(" + (right - w) + ",6)" }, group);
    el("rect", { width: w, height: 15, rx: 7, ry: 7 }, g);
    el("text", { x: w / 2, y: 11, "text-anchor": "middle" }, g).textContent = text;
    el("title", null, g).textContent = title;
    return right - w - 4;
  };

  Widget.prototype.handle = function (group, node, side, x, y) {
    var self = this;
    var g = el("g", { class: "lg-expand lg-expand-" + side, transform: "translate(" + x + "," + y + ")",
                      tabindex: "0", role: "button",
                      "aria-label": "Show " + side + " of " + node.name }, group);
    el("circle", { r: 9 }, g);
    el("text", { x: 0, y: 4, "text-anchor": "middle" }, g).textContent = "+";
    el("title", null, g).textContent = "Show one more level " + side;
    var go = function (event) { event.stopPropagation(); event.preventDefault(); self.expand(node, side); };
    g.addEventListener("click", function (event) { if (!self.dragged) { go(event); } });
    g.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { go(event); } });
  };

  Widget.prototype.drawRows = function (group, node, p) {
    var cols = node.columns || [];
    el("line", { class: "lg-rule", x1: 7, x2: p.w, y1: HEAD_H - 2, y2: HEAD_H - 2 }, group);
    cols.slice(0, MAX_ROWS).forEach(function (c, i) {
      var y = HEAD_H + i * ROW_H;
      var link = el("a", { class: "lg-row" + (c.direction === "self" ? " is-self" : ""), href: c.url }, group);
      link.setAttribute("aria-label", "column " + c.name + (c.pii_type ? ", PII " + c.pii_type + (c.pii_masked ? " (masked)" : "") : ""));
      el("rect", { x: 7, y: y, width: p.w - 7, height: ROW_H, class: "lg-row-bg" }, link);
      el("text", { x: 15, y: y + 13, class: "lg-col" }, link).textContent = clip(c.name, 26);
      if (c.pii_type) {
        el("text", { x: p.w - 8, y: y + 13, "text-anchor": "end", class: c.pii_masked ? "lg-col-masked" : "lg-col-pii" }, link)
          .textContent = c.pii_masked ? "masked" : "PII";
      }
      el("title", null, link).textContent = c.name + (c.data_type ? " · " + c.data_type : "") + (c.pii_type ? " · PII " + c.pii_type : "");
    });
    if (cols.length > MAX_ROWS) {
      el("text", { x: 15, y: HEAD_H + MAX_ROWS * ROW_H + 13, class: "lg-sub" }, group).textContent = "+" + (cols.length - MAX_ROWS) + " more columns";
    }
  };

  Widget.prototype.highlight = function (id, on) {
    this.viewport.querySelectorAll(".lg-edge").forEach(function (path) {
      if (path.dataset.source === id || path.dataset.target === id) { path.classList.toggle("is-hot", on); }
    });
  };

  Widget.prototype.showGroup = function (node) {
    var box = this.root.querySelector(".lg-group-detail") || html("div", { class: "lg-group-detail", role: "dialog", "aria-label": "Grouped nodes" });
    box.textContent = "";
    box.appendChild(html("strong", null, node.name + " (" + (node.layer || node.type) + ")"));
    var close = html("button", { type: "button", class: "secondary lg-close", "aria-label": "Close" }, "×");
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    var list = html("ul");
    var explorer = this.explorerUrl;
    (node.members || []).forEach(function (m) {
      var li = html("li");
      li.appendChild(html("a", { href: m.url }, m.name));
      li.appendChild(document.createTextNode(" · "));
      li.appendChild(html("a", { href: explorer + "?urn=" + encodeURIComponent(m.urn) }, "draw"));
      list.appendChild(li);
    });
    if (node.member_count > (node.members || []).length) {
      list.appendChild(html("li", null, "… and " + (node.member_count - node.members.length) + " more"));
    }
    box.appendChild(list);
    this.canvas.parentNode.insertBefore(box, this.canvas.nextSibling);
    close.focus();
  };

  Widget.prototype.describe = function (links) {
    var self = this, count = Object.keys(this.nodes).length;
    var groups = Object.keys(this.nodes).filter(function (id) { return self.nodes[id].kind === "group"; }).length;
    this.say(plural(count - groups, "capsule") + (groups ? " and " + plural(groups, "group") : "") + ", " + plural(links.length, "edge") +
             (this.level === "column" ? " between columns" : ""));
    if (this.note) {
      this.note.textContent = this.notes.join(" ");
      this.note.hidden = !this.notes.length;
    }
    this.root.classList.toggle("level-column", this.level === "column");
    if (!this.list) { return; }
    this.list.textContent = "";
    var ul = html("ul");
    Object.keys(this.nodes).map(function (id) { return self.nodes[id]; })
      .sort(function (a, b) { return (a.rank - b.rank) || (a.name < b.name ? -1 : 1); })
      .forEach(function (node) {
        var li = html("li");
        var where = node.rank === 0 ? "this" : Math.abs(node.rank) + (node.rank < 0 ? " up" : " down");
        if (node.kind === "group") { li.appendChild(html("span", null, node.name)); }
        else { li.appendChild(html("a", { href: node.url }, node.name)); }
        li.appendChild(document.createTextNode(" — " + (node.type || "") + (node.layer ? ", " + node.layer : "") + ", " + where +
                                               (node.has_pii ? ", PII" : "") + (node.violations ? ", " + plural(node.violations, "violation") : "")));
        ul.appendChild(li);
      });
    this.list.appendChild(html("h3", null, "Nodes"));
    this.list.appendChild(ul);
    var el2 = html("ul");
    links.slice(0, 500).forEach(function (e) {
      var a = self.nodes[e.source] || {}, b = self.nodes[e.target] || {};
      var text = (a.name || e.source) + (e.source_column ? "." + e.source_column.split(":").pop() : "") + " → " +
                 (b.name || e.target) + (e.target_column ? "." + e.target_column.split(":").pop() : "") +
                 (e.transformation_type ? " (" + e.transformation_type + ")" : "") + (e.count > 1 ? " ×" + e.count : "");
      el2.appendChild(html("li", null, text));
    });
    this.list.appendChild(html("h3", null, "Edges"));
    this.list.appendChild(el2);
  };

  // -- pan and zoom ----------------------------------------------------------------------------------

  Widget.prototype.apply = function () {
    this.viewport.setAttribute("transform", "translate(" + this.view.x + "," + this.view.y + ") scale(" + this.view.k + ")");
  };

  Widget.prototype.zoom = function (factor, cx, cy) {
    var rect = this.canvas.getBoundingClientRect();
    if (cx === undefined) { cx = rect.width / 2; cy = rect.height / 2; }
    var k = Math.max(0.15, Math.min(3, this.view.k * factor));
    this.view.x = cx - (cx - this.view.x) * (k / this.view.k);
    this.view.y = cy - (cy - this.view.y) * (k / this.view.k);
    this.view.k = k;
    this.apply();
  };

  // Pan (or, when they cannot all fit, zoom out) so these nodes are on screen: an expansion shows what it added.
  Widget.prototype.reveal = function (ids) {
    var self = this, rect = this.canvas.getBoundingClientRect();
    var cw = rect.width || 800, ch = rect.height || 420, k = this.view.k, pad = 24;
    var box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    ids.forEach(function (id) {
      var p = self.positions[id];
      if (!p) { return; }
      box.x0 = Math.min(box.x0, p.x - 14); box.y0 = Math.min(box.y0, p.y);
      box.x1 = Math.max(box.x1, p.x + p.w + 14); box.y1 = Math.max(box.y1, p.y + p.h);
    });
    if (box.x0 === Infinity) { return; }
    if ((box.x1 - box.x0) * k > cw - 2 * pad || (box.y1 - box.y0) * k > ch - 2 * pad) {
      k = Math.max(MIN_LEGIBLE, Math.min((cw - 2 * pad) / (box.x1 - box.x0), (ch - 2 * pad) / (box.y1 - box.y0)));
      this.view.k = k;
    }
    var left = this.view.x + box.x0 * k, right = this.view.x + box.x1 * k;
    var top = this.view.y + box.y0 * k, bottom = this.view.y + box.y1 * k;
    if (left < pad) { this.view.x += pad - left; } else if (right > cw - pad) { this.view.x -= right - (cw - pad); }
    if (top < pad) { this.view.y += pad - top; } else if (bottom > ch - pad) { this.view.y -= bottom - (ch - pad); }
    this.apply();
  };

  // The drawing's extent, and the scale at which all of it fits the canvas.
  Widget.prototype.extent = function () {
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, self = this;
    Object.keys(this.positions || {}).forEach(function (id) {
      var p = self.positions[id];
      minX = Math.min(minX, p.x - 14); minY = Math.min(minY, p.y); maxX = Math.max(maxX, p.x + p.w + 14); maxY = Math.max(maxY, p.y + p.h);
    });
    var rect = this.canvas.getBoundingClientRect();
    var cw = rect.width || 800, ch = rect.height || 420;
    return { minX: minX, minY: minY, maxX: maxX, maxY: maxY, cw: cw, ch: ch,
             k: Math.min(1.2, (cw - 40) / (maxX - minX), (ch - 40) / (maxY - minY)) };
  };

  Widget.prototype.fitScale = function () { return this.extent().k; };

  Widget.prototype.fit = function (initial) {
    if (!Object.keys(this.positions || {}).length) { return; }
    var e = this.extent(), minX = e.minX, minY = e.minY, maxX = e.maxX, maxY = e.maxY, cw = e.cw, ch = e.ch, k = e.k;
    var focus = this.positions[this.rootCapsule || this.focus];
    if (initial && k < MIN_LEGIBLE && focus) {
      // Too big to read when fitted: start at a legible scale, centred on the focus.
      k = Math.max(MIN_LEGIBLE, 0.85);
      this.view = { k: k, x: cw / 2 - (focus.x + focus.w / 2) * k, y: ch / 2 - (focus.y + focus.h / 2) * k };
    } else {
      k = Math.max(0.15, k);
      this.view = { k: k, x: (cw - (maxX - minX) * k) / 2 - minX * k, y: (ch - (maxY - minY) * k) / 2 - minY * k };
    }
    this.apply();
  };

  Widget.prototype.screenPosition = function (id) {
    var p = this.positions && this.positions[id];
    if (!p) { return null; }
    return { id: id, x: this.view.x + p.x * this.view.k, y: this.view.y + p.y * this.view.k };
  };

  Widget.prototype.bindPanZoom = function () {
    var self = this, start = null;
    this.canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      var rect = self.canvas.getBoundingClientRect();
      self.zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    this.canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      start = { x: event.clientX, y: event.clientY, vx: self.view.x, vy: self.view.y, id: event.pointerId };
      self.dragged = false;
    });
    this.canvas.addEventListener("pointermove", function (event) {
      if (!start || event.pointerId !== start.id) { return; }
      var dx = event.clientX - start.x, dy = event.clientY - start.y;
      if (!self.dragged && Math.abs(dx) + Math.abs(dy) > 4) {
        self.dragged = true;
        self.canvas.setPointerCapture(event.pointerId);
        self.canvas.classList.add("is-panning");
      }
      if (self.dragged) { self.view.x = start.vx + dx; self.view.y = start.vy + dy; self.apply(); }
    });
    var end = function (event) {
      if (start && event.pointerId === start.id) {
        start = null;
        self.canvas.classList.remove("is-panning");
        // A click fires after pointerup: keep "dragged" set until then so a pan never opens a node.
        setTimeout(function () { self.dragged = false; }, 0);
      }
    };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
    this.canvas.addEventListener("keydown", function (event) {
      if (event.target !== self.canvas && !event.target.closest(".lg-node")) { return; }
      var step = 60, handled = true;
      switch (event.key) {
        case "ArrowLeft": self.view.x += step; self.apply(); break;
        case "ArrowRight": self.view.x -= step; self.apply(); break;
        case "ArrowUp": self.view.y += step; self.apply(); break;
        case "ArrowDown": self.view.y -= step; self.apply(); break;
        case "+": case "=": self.zoom(1.2); break;
        case "-": case "_": self.zoom(1 / 1.2); break;
        case "0": self.fit(false); break;
        default: handled = false;
      }
      if (handled) { event.preventDefault(); }
    });
  };

  Widget.prototype.bindControls = function () {
    var self = this;
    this.root.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.action;
        if (action === "zoom-in") { self.zoom(1.2); }
        else if (action === "zoom-out") { self.zoom(1 / 1.2); }
        else if (action === "fit") { self.fit(false); }
        else if (action === "reset") { self.view.k = 1; self.zoom(1); }
        else if (action === "fullscreen") { self.toggleFullScreen(); }
      });
    });
    this.root.querySelectorAll("[data-set-level]").forEach(function (button) {
      button.addEventListener("click", function () {
        var level = button.dataset.setLevel;
        if (level === self.level) { return; }
        self.level = level;
        self.syncLevelButtons();
        if (self.root.dataset.initial && window.history.replaceState) {
          // The explorer's view is its URL: keep the level there (and in its form) for links and reloads.
          var url = new URL(window.location.href);
          url.searchParams.set("level", level);
          window.history.replaceState(null, "", url.toString());
          var select = document.getElementById("id_level");
          if (select) { select.value = level; }
        }
        self.reloadKeepingExpansions();
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && self.root.classList.contains("is-full-screen")) { self.toggleFullScreen(); }
    });
  };

  // Full screen: the widget covers the window (a fixed layer, so it works in every browser and frame),
  // the canvas takes all the height, and the drawing is fitted again. Escape or the button leaves.
  Widget.prototype.toggleFullScreen = function () {
    var on = this.root.classList.toggle("is-full-screen");
    document.documentElement.classList.toggle("has-full-screen-graph", on);
    this.root.querySelectorAll("[data-action=fullscreen]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? "Exit full screen" : "Full screen";
    });
    this.fit(true);
  };

  Widget.prototype.syncLevelButtons = function () {
    var level = this.level;
    this.root.querySelectorAll("[data-set-level]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.setLevel === level));
    });
  };

  // -- the explorer's search suggestions -------------------------------------------------------------

  function bindSuggestions(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || q === last || q.indexOf("urn:") === 0) { return; }
      timer = setTimeout(function () {
        last = q;
        fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.results.forEach(function (item) {
              var option = html("option", { value: item.urn });
              option.textContent = item.name + " · " + item.type + (item.layer ? " · " + item.layer : "");
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 200);
    });
  }

  function mountAll() {
    document.querySelectorAll(".lineage-widget").forEach(function (root) {
      if (root.dataset.mounted) { return; }
      root.dataset.mounted = "1";
      root.dabLineage = new Widget(root);
    });
    document.querySelectorAll("input[data-suggest-url]").forEach(function (input) {
      if (input.dataset.mounted) { return; }
      input.dataset.mounted = "1";
      bindSuggestions(input);
    });
  }

  window.DabLineage = { mountAll: mountAll, layout: layout };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mountAll); }
  else { mountAll(); }
})();
