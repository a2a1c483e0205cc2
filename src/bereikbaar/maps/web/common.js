/* bereikbaar maps: shared helpers (frame, panel, base layer, formats). Every text from the
   data reaches the page through textContent or esc(); nothing is evaluated. */
"use strict";
var BB = (function () {
  var DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"];
  var DAYS_SHORT = ["ma", "di", "wo", "do", "vr", "za", "zo"];
  var PANEL_PAD = [350, 20];

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (ch) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch];
    });
  }
  /* Round half to even, as Python's round() and format() do (so 58,5% reads 58% in both). */
  function roundEven(v) {
    var r = Math.round(v);
    return (Math.abs(v % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }
  function intNl(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    var n = roundEven(v), s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (n < 0 ? "-" : "") + s;
  }
  function numNl(v, d) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    var parts = Math.abs(v).toFixed(d).split(".");
    var s = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".") + (parts[1] ? "," + parts[1] : "");
    return (v < 0 ? "-" : "") + s;
  }
  function pctNl(share) { return (share === null || share === undefined) ? "–" : intNl(100 * share) + "%"; }
  function distNl(m) {
    if (m === null || m === undefined) { return "geen binnen bereik"; }
    return m < 1000 ? intNl(m) + " m" : numNl(Math.round(m / 100) / 10, 1) + " km";
  }
  function ll(p) { return [p[0] / 1e5, p[1] / 1e5]; }
  function lls(line) { return line.map(ll); }
  function el(tag, cls, txt) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (txt !== undefined && txt !== null) { e.textContent = txt; }
    return e;
  }
  /* A popup/tooltip as HTML from [label, value] rows; values are escaped text. */
  function table(title, rows) {
    var h = title ? "<div class=\"bb-pop-title\">" + esc(title) + "</div>" : "";
    h += "<table class=\"bb-pop\">";
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      h += "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
    });
    return h + "</table>";
  }
  function b64bytes(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  /* Bit j of row i in a packed (n, width) matrix (width in bits, rows padded to bytes). */
  function bit(bytes, i, j, width) {
    var rowBytes = Math.ceil(width / 8), b = bytes[i * rowBytes + (j >> 3)];
    return (b >> (7 - (j & 7))) & 1;
  }
  function hourText(h) {
    var hh = h % 24, pad = function (x) { return (x < 10 ? "0" : "") + x; };
    return DAYS[Math.floor(h / 24)] + " " + pad(hh) + ":00–" + pad((hh + 1) % 24) + ":00";
  }

  /* The map frame: panes, outline, base layer, OSM background, controls, the side panel. */
  function frame(data) {
    var map = L.map("bb-map", {zoomControl: false, minZoom: 7, maxZoom: 18, preferCanvas: false});
    api.map = map;
    [["bbCells", 380], ["bbSpots", 390], ["bbRoads", 395], ["bbOutline", 398], ["bbLines", 410],
     ["bbHubs", 420], ["bbServices", 430], ["bbLabels", 450], ["bbVillages", 640]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = p[1];
    });
    map.getPane("bbLabels").style.pointerEvents = "none";
    map.getPane("bbRoads").style.pointerEvents = "none";
    map.getPane("bbOutline").style.pointerEvents = "none";
    var b = data.bounds;
    api.home = function () {  /* the whole municipality beside the panel (also for tests) */
      map.fitBounds([ll(b[0]), ll(b[1])], {paddingTopLeft: PANEL_PAD, paddingBottomRight: [20, 20], animate: false});
    };
    api.home();
    /* small markers when zoomed out, so the cells under a town's AEDs stay visible */
    function zoomClass() { map.getContainer().classList.toggle("bb-z-low", map.getZoom() < 13); }
    map.on("zoomend", zoomClass);
    zoomClass();
    L.control.zoom({position: "bottomright", zoomInTitle: "Inzoomen", zoomOutTitle: "Uitzoomen"}).addTo(map);
    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Kaartgegevens © OpenStreetMap-bijdragers");
    L.polygon(data.outline.map(function (poly) { return poly.map(lls); }), {
      pane: "bbOutline", className: "bb-boundary", color: "#222", weight: 2.5, fill: false,
      interactive: false
    }).addTo(map);
    var overlays = {};
    var base = baseLayer(map, data.basemap);
    if (base) { overlays["Wegen en plaatsnamen (uit het OSM-extract)"] = base; base.addTo(map); }
    var osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 18, attribution: "© OpenStreetMap-bijdragers"
    });
    overlays["OpenStreetMap-achtergrond (internet nodig)"] = osm;
    if (!data.offline) { osm.addTo(map); }
    var control = L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
    var panel = sidePanel(map, data.title);
    L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(PANEL_PAD[0], 60);
    L.Popup.prototype.options.autoPanPaddingBottomRight = L.point(60, 40);
    L.Popup.prototype.options.maxWidth = 340;
    return {map: map, control: control, panel: panel};
  }

  function baseLayer(map, bm) {
    if (!bm || (!bm.roads.length && !bm.places.length)) { return null; }
    var group = L.layerGroup(), minor = L.layerGroup(), labels = [];
    bm.roads.forEach(function (r) {
      var line = L.polyline(lls(r.p), {
        pane: "bbRoads", className: r.k === 0 ? "bb-road bb-road-major" : "bb-road bb-road-minor",
        color: r.k === 0 ? "#555" : "#777", weight: r.k === 0 ? 2.2 : 1.2,
        opacity: r.k === 0 ? 0.75 : 0.6, interactive: false
      });
      (r.k === 0 ? group : minor).addLayer(line);
    });
    bm.places.forEach(function (p) {
      var m = L.marker(ll(p.ll), {
        pane: "bbLabels", interactive: false, keyboard: false,
        icon: L.divIcon({className: "bb-place-label", html: "<span>" + esc(p.n) + "</span>",
                         iconSize: null})
      });
      labels.push([p.z, m]);
    });
    function update() {
      var z = map.getZoom();
      if (!map.hasLayer(group)) { return; }
      if (z >= bm.minor_from_zoom) { group.addLayer(minor); } else { group.removeLayer(minor); }
      labels.forEach(function (x) {
        if (z >= x[0]) { group.addLayer(x[1]); } else { group.removeLayer(x[1]); }
      });
    }
    map.on("zoomend", update);
    group.on("add", function () { setTimeout(update, 0); });
    return group;
  }

  function sidePanel(map, title) {
    var Panel = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = el("div", "bb-panel");
        box.id = "bb-panel";
        var head = el("div", "bb-head");
        head.appendChild(el("h1", null, title));
        var toggle = el("button", "bb-toggle bb-noprint", "–");
        toggle.type = "button";
        toggle.title = "Paneel in- of uitklappen";
        toggle.setAttribute("aria-expanded", "true");
        head.appendChild(toggle);
        box.appendChild(head);
        var body = el("div", "bb-body");
        box.appendChild(body);
        toggle.addEventListener("click", function () {
          var open = box.classList.toggle("bb-collapsed") === false;
          toggle.textContent = open ? "–" : "+";
          toggle.setAttribute("aria-expanded", String(open));
          L.Popup.prototype.options.autoPanPaddingTopLeft = L.point(open ? PANEL_PAD[0] : 20, 60);
        });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        this.body = body;
        return box;
      }
    });
    var p = new Panel();
    p.addTo(map);
    return p.body;
  }

  function section(parent, heading, cls) {
    var s = el("section", cls || null);
    if (heading) { s.appendChild(el("h2", null, heading)); }
    parent.appendChild(s);
    return s;
  }
  /* Legend rows: [swatch class, colour, text]. */
  function legend(parent, items) {
    var ul = el("ul", "bb-legend");
    items.forEach(function (it) {
      var li = el("li");
      var sw = el("span", "bb-sw " + (it[0] || ""));
      if (it[1]) { sw.style.background = it[1]; }
      li.appendChild(sw);
      li.appendChild(document.createTextNode(it[2]));
      ul.appendChild(li);
    });
    parent.appendChild(ul);
    return ul;
  }
  function notes(parent, data) {
    var d = el("details", "bb-notes");
    d.appendChild(el("summary", null, "Aannames en bronnen"));
    var ul = el("ul");
    data.assumptions.forEach(function (a) { ul.appendChild(el("li", null, a)); });
    d.appendChild(ul);
    if (data.sources) { d.appendChild(el("p", "bb-note", "Bronnen: " + data.sources)); }
    if (data.offline) {
      d.appendChild(el("p", "bb-note", "Deze kaart werkt zonder internet; de OpenStreetMap-achtergrond (rechtsboven) heeft internet nodig."));
    }
    parent.appendChild(d);
  }
  function data() { return JSON.parse(document.getElementById("bb-data").textContent); }

  var api = {
    DAYS: DAYS, DAYS_SHORT: DAYS_SHORT, esc: esc, intNl: intNl, numNl: numNl, pctNl: pctNl,
    distNl: distNl, ll: ll, lls: lls, el: el, table: table, b64bytes: b64bytes, bit: bit,
    hourText: hourText, frame: frame, section: section, legend: legend, notes: notes, data: data
  };
  return api;
})();
