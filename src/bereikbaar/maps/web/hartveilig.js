/* Hartveilig map: cells binnen bereik / niet binnen bereik at any hour of the week. */
(function () {
  var D = BB.data();
  var P = D.palette, COVERED = P.covered, NOT_COVERED = P.not_covered;
  var SHARE_BINS = P.share_bins, SHARE_COLORS = P.share_colors;
  var f = BB.frame(D), map = f.map, panel = f.panel;
  var cells = D.cells, n = cells.n;
  var hourly = BB.b64bytes(cells.hourly), aedHourly = BB.b64bytes(D.aeds.hourly);
  var covered = {};
  D.moments.forEach(function (m) { covered[m.name] = BB.b64bytes(cells.covered[m.name]); });
  var state = {hour: D.moments.length ? D.moments[0].hour : 14, moment: D.moments.length ? D.moments[0] : null, view: "hour"};

  function shareColor(v) {
    if (v === null) { return "#bdbdbd"; }
    var i = 0;
    while (i < SHARE_BINS.length && v >= SHARE_BINS[i]) { i++; }
    return SHARE_COLORS[i];
  }
  function isCovered(i) {
    if (state.moment) { return BB.bit(covered[state.moment.name], 0, i, n) === 1; }
    return BB.bit(hourly, i, state.hour, 168) === 1;
  }

  // ---- cells
  var cellGroup = L.featureGroup();
  var cellLayers = new Array(n);
  for (var i = 0; i < n; i++) {
    var r = cells.ring, k = 8 * i;
    var poly = L.polygon([[r[k] / 1e5, r[k + 1] / 1e5], [r[k + 2] / 1e5, r[k + 3] / 1e5],
                          [r[k + 4] / 1e5, r[k + 5] / 1e5], [r[k + 6] / 1e5, r[k + 7] / 1e5]],
                         {pane: "bbCells", className: "bb-cell", stroke: false, fillOpacity: 0.62});
    poly.bbIndex = i;
    cellLayers[i] = poly;
    cellGroup.addLayer(poly);
  }
  cellGroup.addTo(map);
  for (var j = 0; j < n; j++) {
    var path = cellLayers[j].getElement();
    if (path) { path.setAttribute("data-cell", cells.id[j]); }
  }
  cellGroup.bindTooltip(function (layer) {
    var i = layer.bbIndex, lines = [];
    var when = state.moment ? state.moment.label : BB.hourText(state.hour);
    lines.push((isCovered(i) ? "Binnen bereik" : "Niet binnen bereik") + " (" + when + ")");
    if (state.moment && cells.prob) {
      var pr = cells.prob[state.moment.name][i], md = cells.minutes[state.moment.name][i];
      lines.push("Kans dat een AED op tijd ter plaatse is: " + BB.pctNl(pr));
      lines.push(md === null ? "Mediane tijd tot AED ter plaatse: langer dan de norm"
                             : "Mediane tijd tot AED ter plaatse: " + BB.numNl(md, 1) + " min");
    } else if (state.moment) {
      var m = cells.minutes[state.moment.name][i];
      lines.push(m === null ? "Geen beschikbare AED binnen 30 minuten"
                            : BB.numNl(m, 1) + " min tot de dichtstbijzijnde beschikbare AED");
    }
    lines.push(BB.pctNl(cells.week[i]) + " van de week binnen bereik");
    var o = cells.inw65[i] === null ? "" : " (waarvan " + BB.intNl(cells.inw65[i]) + " 65+)";
    lines.push(BB.intNl(cells.inw[i]) + " inwoners" + o);
    return lines.map(BB.esc).join("<br>");
  }, {sticky: true});

  function paintCells() {
    for (var i = 0; i < n; i++) {
      var lyr = cellLayers[i], p = lyr.getElement(), cov = isCovered(i);
      var color = state.view === "week" ? shareColor(cells.week[i])
        : (state.view === "prob" && state.moment ? SHARE_COLORS[cells.prob_class[state.moment.name][i]]
        : (cov ? COVERED : NOT_COVERED));
      lyr.setStyle({fillColor: color});
      if (p) { p.classList.toggle("bb-in", cov); p.classList.toggle("bb-out", !cov); }
    }
  }

  // ---- white spots (computed for the named moments): the 10 largest always, all from zoom 13
  var SPOTS_TOP = 10, SPOTS_ALL_FROM_ZOOM = 13;
  var spotGroups = {};
  D.moments.forEach(function (m) {
    var top = L.featureGroup(), rest = L.featureGroup();
    (D.spots[m.name] || []).forEach(function (s) {
      var poly = L.polygon(s.parts.map(function (p) { return p.map(BB.lls); }), {
        pane: "bbSpots", className: "bb-white-spot bb-moment-" + m.slug, color: "#111",
        weight: s.rank <= SPOTS_TOP ? 2 : 1, opacity: 0.8, fillColor: "#111", fillOpacity: 0.05
      });
      poly.bindPopup(BB.table("Witte vlek " + BB.intNl(s.rank) + " (" + m.label + ")", [
        ["Inwoners", BB.intNl(s.inw)], ["Waarvan 65+", BB.intNl(s.inw65)],
        ["Oppervlakte", BB.numNl(s.area_km2, 2) + " km²"], ["Dichtstbijzijnde dorp", s.village],
        ["Afstand tot de dichtstbijzijnde AED die op dit moment beschikbaar is", BB.distNl(s.dist_m)],
        ["Afstand tot de dichtstbijzijnde 24/7-AED", s.dist247_m === undefined ? null : BB.distNl(s.dist247_m)]
      ]) + "<p class=\"bb-note\">Afstand gemeten vanaf de bewoonde vakken van de vlek.</p>");
      (s.rank <= SPOTS_TOP ? top : rest).addLayer(poly);
    });
    spotGroups[m.name] = {top: top, rest: rest};
  });
  var spotsOn = L.layerGroup().addTo(map);
  f.control.addOverlay(spotsOn, "Witte vlekken (op de vaste momenten; de 10 grootste, alle vanaf zoom 13)");
  function showSpots() {
    spotsOn.clearLayers();
    var m = state.moment || D.moments.filter(function (x) { return x.hour === state.hour; })[0];
    if (!m) { return; }
    spotsOn.addLayer(spotGroups[m.name].top);
    if (map.getZoom() >= SPOTS_ALL_FROM_ZOOM) { spotsOn.addLayer(spotGroups[m.name].rest); }
  }
  map.on("zoomend", showSpots);

  // ---- AEDs: shape = status, fill = open at the chosen hour
  var aedGroup = L.layerGroup().addTo(map);
  var aedMarkers = D.aeds.rows.map(function (a, i) {
    var cls = "bb-aed bb-aed-" + a.status + (a.counts ? "" : " bb-aed-nocount") + (a.approx ? " bb-aed-approx" : "");
    var m = L.marker(BB.ll(a.ll), {
      icon: L.divIcon({className: cls, html: "<span class=\"bb-shape\"></span>", iconSize: [16, 16]}),
      keyboard: false, title: ""
    });
    m.bindPopup(function () {
      return BB.table("AED " + (a.name || ""), [
        ["Adres", a.where], ["Beschikbaarheid", a.hours || a.status_nl], ["Soort", a.status_nl],
        ["Nu (" + (state.moment ? state.moment.label : BB.hourText(state.hour)) + ")", isOpen(i) ? "beschikbaar" : "niet beschikbaar"],
        ["Hangt", a.indoor], ["Locatie", a.approx ? "benaderd op postcode" : "exact"],
        ["Telt mee voor de dekking", a.counts ? "ja" : "nee (locatie te onzeker)"],
        ["Bron", a.source], ["Id", a.id]
      ]);
    });
    aedGroup.addLayer(m);
    return m;
  });
  f.control.addOverlay(aedGroup, "AED's");
  function isOpen(i) {
    var mo = state.moment;
    if (mo && D.aeds.moment[mo.name]) { return D.aeds.moment[mo.name][i]; }
    return BB.bit(aedHourly, i, state.hour, 168) === 1;
  }
  function paintAeds() {
    aedMarkers.forEach(function (m, i) {
      var e = m.getElement();
      if (!e) { return; }
      var open = isOpen(i);
      e.classList.toggle("bb-open", open);
      e.classList.toggle("bb-closed", !open);
    });
  }

  // ---- proposals and relocations
  var props = L.layerGroup().addTo(map), relocs = L.layerGroup().addTo(map);
  D.proposals.forEach(function (p) {
    L.marker(BB.ll(p.ll), {
      icon: L.divIcon({className: "bb-proposal", html: "<span>+" + BB.esc(BB.intNl(p.rank)) + "</span>", iconSize: [26, 26]}),
      zIndexOffset: 1000, keyboard: false
    }).bindPopup(BB.table("Voorstel " + BB.intNl(p.rank) + ": nieuwe 24/7-AED", [
      ["Plek", p.name + (p.kind ? " (" + p.kind + ")" : "")], ["Adres", p.address], ["Nabij", p.near],
      ["Extra inwoners binnen bereik (de hele week)", BB.intNl(p.gain)],
      ["Waarvan 65+", p.gain65 === null ? null : BB.intNl(p.gain65)],
      ["Samen met de voorstellen ervoor", BB.intNl(p.cum)]
    ])).addTo(props);
  });
  D.relocations.forEach(function (p) {
    L.marker(BB.ll(p.ll), {
      icon: L.divIcon({className: "bb-relocation", html: "<span>⇄" + BB.esc(BB.intNl(p.rank)) + "</span>", iconSize: [30, 22]}),
      zIndexOffset: 900, keyboard: false
    }).bindPopup(BB.table("Verplaatsing " + BB.intNl(p.rank), [
      ["AED", p.name], ["Adres", p.address], ["Nabij", p.near], ["Nu", p.now], ["Wordt", p.to],
      ["Extra inwoners binnen bereik (de hele week)", BB.intNl(p.gain)],
      ["Samen met de verplaatsingen ervoor", BB.intNl(p.cum)]
    ])).addTo(relocs);
  });
  if (D.proposals.length) { f.control.addOverlay(props, "Voorstellen nieuwe AED's"); }
  if (D.relocations.length) { f.control.addOverlay(relocs, "Verplaatsingen naar een buitenkast"); }

  // ---- panel
  var intro = BB.section(panel, null, "bb-intro");
  intro.appendChild(BB.el("p", null, D.model.description));
  var pick = BB.section(panel, "Kies een moment", "bb-picker");
  var quick = BB.el("div", "bb-quick bb-noprint");
  D.moments.forEach(function (m) {
    var btn = BB.el("button", "bb-moment-btn", m.label);
    btn.type = "button";
    btn.setAttribute("data-moment", m.slug);
    btn.addEventListener("click", function () { choose(m.hour, m); });
    quick.appendChild(btn);
  });
  pick.appendChild(quick);
  var row = BB.el("div", "bb-row bb-noprint");
  var day = BB.el("select");
  day.id = "bb-day";
  day.setAttribute("aria-label", "Dag");
  BB.DAYS.forEach(function (d, i) { var o = BB.el("option", null, d); o.value = String(i); day.appendChild(o); });
  var hr = BB.el("input");
  hr.id = "bb-hour";
  hr.type = "range"; hr.min = "0"; hr.max = "23"; hr.step = "1";
  hr.setAttribute("aria-label", "Uur");
  var hrOut = BB.el("output", "bb-hour-out");
  row.appendChild(day); row.appendChild(hr); row.appendChild(hrOut);
  pick.appendChild(row);
  day.addEventListener("change", function () { choose(24 * Number(day.value) + Number(hr.value), null); });
  hr.addEventListener("input", function () { choose(24 * Number(day.value) + Number(hr.value), null); });
  var readout = BB.el("div", "bb-readout");
  readout.id = "bb-readout";
  pick.appendChild(readout);
  var chart = weekChart(pick);

  var leg = BB.section(panel, "Legenda");
  var viewRow = BB.el("div", "bb-row bb-noprint");
  var views = [["hour", "Binnen bereik op het gekozen moment"], ["week", "Deel van de week binnen bereik"]];
  if (cells.prob) { views.splice(1, 0, ["prob", "Kans op een AED op tijd (benoemde momenten)"]); }
  views.forEach(function (v) {
    var lab = BB.el("label", "bb-radio");
    var inp = BB.el("input");
    inp.type = "radio"; inp.name = "bb-view"; inp.value = v[0]; inp.checked = v[0] === state.view;
    inp.addEventListener("change", function () { state.view = v[0]; update(); });
    lab.appendChild(inp); lab.appendChild(document.createTextNode(" " + v[1]));
    viewRow.appendChild(lab);
  });
  leg.appendChild(viewRow);
  var legCells = BB.el("div");
  leg.appendChild(legCells);
  BB.legend(leg, [
    ["bb-sw-aed bb-aed-24-7 bb-open", null, "AED, altijd beschikbaar (rond)"],
    ["bb-sw-aed bb-aed-limited bb-open", null, "AED met openingstijden (ruit)"],
    ["bb-sw-aed bb-aed-unknown bb-open", null, "AED, tijden onbekend (vierkant)"],
    ["bb-sw-aed bb-aed-limited bb-closed", null, "Open vorm: op dit moment niet beschikbaar"],
    ["bb-sw-spot", null, "Witte vlek: aaneengesloten bewoond gebied niet binnen bereik (de 10 grootste; alle vanaf zoom 13)"],
    ["bb-sw-prop", null, "Voorstel nieuwe 24/7-AED (nummer = volgorde)"],
    ["bb-sw-reloc", null, "Verplaatsing van een binnen-AED naar een 24/7-buitenkast"]
  ]);
  var keys = BB.section(panel, "Kerncijfers", "bb-keys");
  var kt = BB.el("table", "bb-keytable");
  D.moments.forEach(function (m) {
    var tr = BB.el("tr");
    tr.appendChild(BB.el("th", null, m.label));
    tr.appendChild(BB.el("td", null, BB.pctNl(m.share_covered)));
    tr.appendChild(BB.el("td", null, BB.intNl(m.residents_covered) + " inwoners"));
    kt.appendChild(tr);
  });
  keys.appendChild(kt);
  keys.appendChild(BB.el("p", "bb-note", "Inwoners in totaal: " + BB.intNl(D.residents_total) +
    ". Percentages: aandeel van de inwoners binnen bereik."));
  BB.notes(panel, D);

  function weekChart(parent) {
    var NS = "http://www.w3.org/2000/svg", W = 9, H = 11, X0 = 20, Y0 = 12;
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "bb-week");
    svg.setAttribute("viewBox", "0 0 " + (X0 + 24 * W + 2) + " " + (Y0 + 7 * H + 2));
    var shares = D.hourly_residents.map(function (v) { return D.residents_total ? v / D.residents_total : 0; });
    var lo = Math.min.apply(null, shares), hi = Math.max.apply(null, shares);
    var rects = [];
    [0, 6, 12, 18].forEach(function (h) {
      var t = document.createElementNS(NS, "text");
      t.setAttribute("x", X0 + h * W); t.setAttribute("y", 9); t.textContent = h + "u";
      svg.appendChild(t);
    });
    for (var d = 0; d < 7; d++) {
      var t = document.createElementNS(NS, "text");
      t.setAttribute("x", 0); t.setAttribute("y", Y0 + d * H + 9); t.textContent = BB.DAYS_SHORT[d];
      svg.appendChild(t);
      for (var h = 0; h < 24; h++) {
        var idx = d * 24 + h, rc = document.createElementNS(NS, "rect");
        rc.setAttribute("x", X0 + h * W); rc.setAttribute("y", Y0 + d * H);
        rc.setAttribute("width", W - 1); rc.setAttribute("height", H - 1);
        var s = hi > lo ? (shares[idx] - lo) / (hi - lo) : 1;
        rc.setAttribute("fill", SHARE_COLORS[Math.min(4, Math.floor(s * 5))]);
        var tt = document.createElementNS(NS, "title");
        tt.textContent = BB.hourText(idx) + ": " + BB.pctNl(shares[idx]) + " binnen bereik";
        rc.appendChild(tt);
        rc.setAttribute("data-hour", String(idx));
        rc.addEventListener("click", (function (x) { return function () { choose(x, null); }; })(idx));
        svg.appendChild(rc);
        rects.push(rc);
      }
    }
    var box = BB.el("div", "bb-chart");
    box.appendChild(BB.el("div", "bb-note", "Deel van de inwoners binnen bereik per uur van de week (klik om te kiezen): van " +
      BB.pctNl(lo) + " (donker) tot " + BB.pctNl(hi) + " (licht)."));
    box.appendChild(svg);
    parent.appendChild(box);
    return rects;
  }

  function choose(hour, moment) {
    state.hour = hour;
    state.moment = moment;
    update();
  }
  function update() {
    day.value = String(Math.floor(state.hour / 24));
    hr.value = String(state.hour % 24);
    hrOut.textContent = (state.hour % 24 < 10 ? "0" : "") + (state.hour % 24) + ":00";
    Array.prototype.forEach.call(quick.children, function (b) {
      b.classList.toggle("bb-active", !!state.moment && b.getAttribute("data-moment") === state.moment.slug);
    });
    chart.forEach(function (rc, idx) { rc.classList.toggle("bb-current", idx === state.hour); });
    var res, share, when, approx;
    if (state.moment) {
      res = state.moment.residents_covered; share = state.moment.share_covered; when = state.moment.label;
      approx = state.moment.residents_approx;
    } else {
      res = D.hourly_residents[state.hour];
      approx = D.hourly_residents_approx ? D.hourly_residents_approx[state.hour] : null;
      share = D.residents_total ? res / D.residents_total : null;
      var hh = state.hour % 24;
      when = BB.hourText(state.hour) + " (beoordeeld om " + (hh < 10 ? "0" : "") + hh + ":30)";
    }
    readout.textContent = "";
    readout.appendChild(BB.el("div", "bb-when", when));
    readout.appendChild(BB.el("div", "bb-big", BB.pctNl(share) + " binnen bereik"));
    readout.appendChild(BB.el("div", null, BB.intNl(res) + " van de " + BB.intNl(D.residents_total) + " inwoners"));
    if (approx !== null && approx !== undefined && Math.round(approx) !== Math.round(res)) {
      readout.appendChild(BB.el("div", "bb-note", "Met de AED's die alleen op postcode bekend zijn erbij: " +
        BB.intNl(approx) + " inwoners (" + BB.pctNl(D.residents_total ? approx / D.residents_total : null) + ")."));
    }
    showSpots();
    legCells.textContent = "";
    if (state.view === "prob" && state.moment) {
      BB.legend(legCells, SHARE_COLORS.map(function (c, i) {
        return ["", c, "kans " + (i === 4 ? "80% of meer" : (20 * i) + "–" + (20 * i + 20) + "%")];
      }));
    } else if (state.view === "week") {
      BB.legend(legCells, SHARE_COLORS.map(function (c, i) {
        return ["", c, i === 0 ? "minder dan 20% van de week" : (i === 4 ? "80% of meer van de week" : (20 * i) + "–" + (20 * i + 20) + "% van de week")];
      }));
    } else {
      BB.legend(legCells, [["", COVERED, "Binnen bereik"], ["", NOT_COVERED, "Niet binnen bereik"]]);
    }
    paintCells();
    paintAeds();
  }
  map.on("zoomend", function () { setTimeout(paintAeds, 0); });
  aedGroup.on("add", function () { setTimeout(paintAeds, 0); });
  update();
  document.documentElement.setAttribute("data-bb-ready", "1");
})();
